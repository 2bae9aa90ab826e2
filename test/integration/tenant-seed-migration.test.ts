/**
 * A replica started on a database an earlier release migrated (a restored
 * older dump, with MIGRATE_ON_START=false and its migration not run yet)
 * seeds nothing when `default` exists: it does not insert, so a column only
 * this release's migrations add (0020's `logo`) cannot fail its start.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { createPgDatabase } from "../../src/adapters/postgres/pg.js";
import { cryptoRandom, systemClock } from "../../src/core/ports/clock.js";
import { TenantService } from "../../src/core/tenants.js";
import { databaseBefore } from "../support/migrations.js";

let before: Awaited<ReturnType<typeof databaseBefore>>;

beforeAll(async () => {
  before = await databaseBefore("0020_tenant_logo");
}, 60_000);
afterAll(async () => {
  await before?.close();
});

it("ensureDefault reads the default tenant of a database migrated only to 0019, and creates it once migrated", async () => {
  await before.sql.query(
    "INSERT INTO tenants (id, tenant_id, slug, name, settings, created_at, updated_at) " +
      "VALUES ($1, $1, 'default', 'Default', '{}', now(), now())",
    [crypto.randomUUID()],
  );
  const db = createPgDatabase(before.url, { max: 1 });
  try {
    const tenants = new TenantService(db, systemClock, cryptoRandom);
    expect(await tenants.ensureDefault()).toBe(false);
    expect((await tenants.require("default")).name).toBe("Default");
    // Once migrated, a database without it gets it.
    await before.upgrade();
    await before.sql.query("DELETE FROM tenants");
    expect(await tenants.ensureDefault()).toBe(true);
    expect(await tenants.ensureDefault()).toBe(false);
  } finally {
    await db.close();
  }
});
