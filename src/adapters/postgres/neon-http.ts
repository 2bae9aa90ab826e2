import { neon, neonConfig } from "@neondatabase/serverless";
import { drizzle } from "drizzle-orm/neon-http";
import type { Database } from "../../core/ports/database.js";
import { createPostgresDatabase, type DrizzleDb } from "./repositories.js";
import { schema } from "./schema.js";

/**
 * Workers: Postgres over Neon's HTTP `/sql` endpoint, one round trip per
 * query. No interactive transactions: atomic work is one statement or a batch.
 * `fetchEndpoint` overrides where queries go (a local bridge or Neon proxy);
 * the driver only has it as a global setting, set once per isolate, as is its
 * fetch: each query's request is given up after `timeoutMs`
 * (DATABASE_STATEMENT_TIMEOUT), so a hung request fails instead of holding the
 * Worker's request.
 */
export function createNeonHttpDatabase(url: string, fetchEndpoint?: string, timeoutMs = 5_000): Database {
  if (fetchEndpoint) neonConfig.fetchEndpoint = () => fetchEndpoint;
  neonConfig.fetchFunction = (input: RequestInfo | URL, init?: RequestInit) =>
    fetch(input, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  const db = drizzle({ client: neon(url), schema }) as unknown as DrizzleDb;
  return createPostgresDatabase(db, "neon-http", async () => {});
}
