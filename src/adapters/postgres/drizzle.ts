import { type AnyColumn, and, eq, isNull, type SQL, sql } from "drizzle-orm";
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
 * A timestamp column as Postgres holds it, to the microsecond (a Date keeps
 * milliseconds), as the text of a listing's position (ListingPosition.at).
 */
export const exactInstant = (column: AnyColumn): SQL<string> =>
  sql<string>`to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/**
 * A row still as `was` read it in every column `was` names (null as IS NULL,
 * each value in its column's encoding): the guard of a conditional write, in
 * its own statement, so a write landing after the read makes it match no row.
 */
export const asRead = (columns: Record<string, AnyColumn>, was: object): SQL | undefined =>
  and(
    ...Object.entries(was)
      .filter(([key]) => key in columns)
      .map(([key, value]) => {
        const column = columns[key] as AnyColumn;
        return value === null ? isNull(column) : eq(column, value);
      }),
  );

/** Rows after a position of a listing ordered by `at` then `id`, both descending. */
export const beforePosition = (at: AnyColumn, id: AnyColumn, position: { at: string; id: string }): SQL =>
  sql`(${at}, ${id}) < (${position.at}::timestamptz, ${position.id}::uuid)`;

/**
 * A statement built on its first use, then reused: drizzle otherwise rebuilds
 * a statement's SQL and its driver objects on every call (about 120 µs of CPU
 * a query on node-postgres). Not at start-up, so a Worker's cold start pays
 * only for what its requests run. Unnamed, it is parsed per call as before:
 * the server keeps nothing, and a pooler needs no named statements.
 */
export function builtOnce<T>(build: () => { prepare(name: string): T }): () => T {
  let prepared: T | undefined;
  return () => {
    prepared ??= build().prepare("");
    return prepared;
  };
}
