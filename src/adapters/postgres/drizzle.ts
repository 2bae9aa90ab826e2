import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import type { Schema } from "./schema.js";

/** Any drizzle Postgres database: node-postgres, neon-http or PGlite. */
export type DrizzleDb = PgDatabase<PgQueryResultHKT, Schema>;
