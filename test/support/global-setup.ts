import pg from "pg";
import { migratePostgres } from "../../src/adapters/postgres/migrate-pg.js";
import { MIGRATIONS_FOLDER } from "../../src/entry/node-deps.js";
import { databaseUrl, dropDatabase, listTestDatabases } from "./postgres.js";
import { POSTGRES_ADMIN_URL, TEMPLATE_DATABASE } from "./services.js";

/**
 * Once per run: drop what earlier runs left, then build the migrated template
 * every test file copies its database from.
 */
export default async function setup(): Promise<() => Promise<void>> {
  for (const name of await listTestDatabases()) await dropDatabase(name);
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await client.connect();
  await client.query(`CREATE DATABASE "${TEMPLATE_DATABASE}"`);
  await client.end();
  await migratePostgres(databaseUrl(TEMPLATE_DATABASE), MIGRATIONS_FOLDER);
  return async () => {
    for (const name of await listTestDatabases()) await dropDatabase(name);
  };
}
