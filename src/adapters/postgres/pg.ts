import { drizzle } from "drizzle-orm/node-postgres";
import pg from "pg";
import type { Database } from "../../core/ports/database.js";
import { createPostgresDatabase, type DrizzleDb } from "./repositories.js";
import { schema } from "./schema.js";

/** Node: Postgres over TCP with a connection pool. */
export function createPgDatabase(url: string, options: { max?: number } = {}): Database {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle client losing its connection must not crash the process; the
  // next query reconnects and /readyz reports the outage meanwhile.
  pool.on("error", () => {});
  const db = drizzle({ client: pool, schema }) as unknown as DrizzleDb;
  return createPostgresDatabase(db, "pg", () => pool.end());
}
