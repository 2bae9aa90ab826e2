import { drizzle } from "drizzle-orm/node-postgres";
import pg from "pg";
import type { Database } from "../../core/ports/database.js";
import { createPostgresDatabase, type DrizzleDb } from "./repositories.js";
import { schema } from "./schema.js";

/** How long after the server's statement_timeout the client gives up on the connection itself. */
const CLIENT_MARGIN_MS = 1_000;
/** Idle time before the first TCP keepalive probe: a connection that died silently is found. */
const KEEPALIVE_DELAY_MS = 10_000;

export interface PgOptions {
  max?: number;
  /**
   * DATABASE_STATEMENT_TIMEOUT: Postgres cancels a statement running longer
   * (57014), and the client drops a connection that has not answered a
   * second later (a network black hole), so the pool never holds dead ones.
   */
  statementTimeoutMs?: number;
}

/** Node: Postgres over TCP with a connection pool. */
export function createPgDatabase(url: string, options: PgOptions = {}): Database {
  const statementTimeoutMs = options.statementTimeoutMs ?? 5_000;
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    statement_timeout: statementTimeoutMs,
    // pg-pool destroys a client whose query failed this way (pool.query releases it with the error).
    query_timeout: statementTimeoutMs + CLIENT_MARGIN_MS,
    keepAlive: true,
    keepAliveInitialDelayMillis: KEEPALIVE_DELAY_MS,
  });
  // An idle client losing its connection must not crash the process; the
  // next query reconnects and /readyz reports the outage meanwhile.
  pool.on("error", () => {});
  const db = drizzle({ client: pool, schema }) as unknown as DrizzleDb;
  return createPostgresDatabase(db, "pg", () => pool.end());
}
