/**
 * A release tells the operator when its database does not match it: after a
 * rollback (migrations a newer release applied) or before its migration job
 * ran (its own migrations missing); it still serves either way.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { migratePostgres, migrationStateOf } from "../../src/adapters/postgres/migrate-pg.js";
import { MIGRATIONS_FOLDER, openNodeDatabase } from "../../src/entry/node-deps.js";
import { earlierMigrations } from "../support/migrations.js";
import { createTestDatabase, type TestDatabase } from "../support/postgres.js";
import { recordingLogger } from "../support/recorders.js";

let database: TestDatabase;
/** This release's migrations but the last: the release before it. */
let previous: Awaited<ReturnType<typeof earlierMigrations>>;
let known: number;

beforeAll(async () => {
  database = await createTestDatabase({ empty: true });
  previous = await earlierMigrations();
  known = previous.count + 1;
});
afterAll(async () => {
  await database.drop();
  await previous.remove();
});

const open = async (migrateOnStart: boolean) => {
  const { logger, lines } = recordingLogger();
  const db = await openNodeDatabase(
    { DATABASE_URL: database.url, DATA_DIR: "", MIGRATE_ON_START: migrateOnStart },
    logger,
  );
  await db.close();
  return lines.filter((line) => line.level === "warn").map((line) => [line.event, line.fields]);
};

it("counts nothing amiss on a fresh database it migrated", async () => {
  expect(await migrationStateOf(database.url, MIGRATIONS_FOLDER)).toEqual({
    applied: 0,
    known,
    unknown: 0,
    pending: known,
  });
  expect(await migratePostgres(database.url, previous.dir)).toEqual({
    applied: known - 1,
    known: known - 1,
    unknown: 0,
    pending: 0,
  });
});

it("warns when this release's migrations have not been applied (MIGRATE_ON_START=false)", async () => {
  expect(await open(false)).toEqual([["database_migrations_pending", { pending_migrations: 1 }]]);
});

it("warns a release rolled back onto a database a newer release migrated", async () => {
  expect(await open(true)).toEqual([]);
  expect(await migrationStateOf(database.url, previous.dir)).toEqual({
    applied: known,
    known: known - 1,
    unknown: 1,
    pending: 0,
  });
  expect(await migratePostgres(database.url, previous.dir)).toMatchObject({ unknown: 1, pending: 0 });
});
