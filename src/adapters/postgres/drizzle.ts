import { type AnyColumn, type SQL, sql } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import type { Schema } from "./schema.js";

/** Any drizzle Postgres database: node-postgres, neon-http or PGlite. */
export type DrizzleDb = PgDatabase<PgQueryResultHKT, Schema>;

/**
 * A text column compared and sorted by bytes, whatever the database's
 * collation: keyset pages (`> cursor ORDER BY`) come out alike on every driver.
 */
export const byteOrder = (column: AnyColumn): SQL => sql`${column} COLLATE "C"`;

/**
 * The name a statement built once is prepared under: none. Drizzle otherwise
 * rebuilds a statement's SQL and its driver objects on every call (about
 * 120 µs of CPU a query on node-postgres); unnamed, it is parsed per call as
 * before, so the server keeps nothing and a connection pooler needs no
 * support for named statements.
 */
export const PREPARED_ONCE = "";
