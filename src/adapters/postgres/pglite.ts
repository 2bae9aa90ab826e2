import { PGlite } from "@electric-sql/pglite";
import { drizzle } from "drizzle-orm/pglite";
import { migrate } from "drizzle-orm/pglite/migrator";
import type { Database } from "../../core/ports/database.js";
import { createPostgresDatabase, type DrizzleDb } from "./repositories.js";
import { schema } from "./schema.js";

/**
 * The embedded default: Postgres compiled to WASM, persisted in `dataDir`
 * (or in memory when it is undefined). Migrated on open, so `npm start`
 * needs no server and no separate migrate step.
 */
export async function openPgliteDatabase(dataDir: string | undefined, migrationsFolder: string): Promise<Database> {
  const client = dataDir ? new PGlite(dataDir) : new PGlite();
  const db = drizzle({ client, schema });
  await migrate(db, { migrationsFolder });
  return createPostgresDatabase(db as unknown as DrizzleDb, "pglite", () => client.close());
}
