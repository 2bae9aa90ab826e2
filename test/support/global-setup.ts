import pg from "pg";
import type { TestProject } from "vitest/node";
import { migratePostgres } from "../../src/adapters/postgres/migrate-pg.js";
import { MIGRATIONS_FOLDER } from "../../src/entry/node-deps.js";
import { databaseUrl, dropDatabase, listTestDatabases } from "./postgres.js";
import { POSTGRES_ADMIN_URL, TEST_DATABASE_PREFIX, templateDatabaseOf } from "./services.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** This run's id: its databases are `authority_t_{id}_...`. */
    testRunId: string;
  }
}

/** Runs that started this long ago are dead; their databases may go. */
const ABANDONED_AFTER_MS = 6 * 60 * 60_000;

/** When the run that created a test database started (from its name), or 0 when the name has no run id. */
function startedAt(name: string): number {
  const match = new RegExp(`^${TEST_DATABASE_PREFIX}([0-9a-z]{8,9})[0-9a-z]{4}_`).exec(name);
  return match ? Number.parseInt(match[1] ?? "0", 36) : 0;
}

/**
 * Once per run: drop what dead runs left (never a live concurrent run's),
 * then build the migrated template every test file of this run copies.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const now = Date.now();
  const runId = `${now.toString(36)}${Math.random().toString(36).slice(2, 6).padEnd(4, "0")}`;
  for (const name of await listTestDatabases()) {
    if (now - startedAt(name) > ABANDONED_AFTER_MS) await dropDatabase(name);
  }
  const template = templateDatabaseOf(runId);
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await client.connect();
  await client.query(`CREATE DATABASE "${template}"`);
  await client.end();
  await migratePostgres(databaseUrl(template), MIGRATIONS_FOLDER);
  project.provide("testRunId", runId);
  return async () => {
    for (const name of await listTestDatabases(runId)) await dropDatabase(name);
  };
}
