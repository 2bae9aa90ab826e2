import { readMigrationFiles } from "drizzle-orm/migrator";
import { drizzle } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import pg from "pg";

/** An arbitrary constant: the advisory lock that serialises concurrent migrators. */
const MIGRATION_LOCK = 7_352_114_009;

/** How the database's applied migrations compare with the ones this release ships. */
export interface MigrationState {
  applied: number;
  known: number;
  /** Applied migrations this release does not know: a newer release migrated (a rollback). */
  unknown: number;
  /** Migrations of this release not applied yet (its migration job has not run). */
  pending: number;
}

async function withClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

async function stateOf(client: pg.Client, migrationsFolder: string): Promise<MigrationState> {
  const known = new Set(readMigrationFiles({ migrationsFolder }).map((migration) => migration.hash));
  const table = await client.query<{ present: boolean }>(
    "select to_regclass('drizzle.__drizzle_migrations') is not null as present",
  );
  const applied = table.rows[0]?.present
    ? (await client.query<{ hash: string }>("select hash from drizzle.__drizzle_migrations")).rows.map((r) => r.hash)
    : [];
  const appliedSet = new Set(applied);
  return {
    applied: applied.length,
    known: known.size,
    unknown: applied.filter((hash) => !known.has(hash)).length,
    pending: [...known].filter((hash) => !appliedSet.has(hash)).length,
  };
}

/**
 * Applies the committed SQL migrations to a Postgres server. Several replicas
 * starting at once take turns on an advisory lock, so each migration runs once.
 */
export function migratePostgres(url: string, migrationsFolder: string): Promise<MigrationState> {
  return withClient(url, async (client) => {
    await client.query("select pg_advisory_lock($1)", [MIGRATION_LOCK]);
    try {
      await migrate(drizzle({ client }), { migrationsFolder });
      return await stateOf(client, migrationsFolder);
    } finally {
      await client.query("select pg_advisory_unlock($1)", [MIGRATION_LOCK]).catch(() => {});
    }
  });
}

/** The database's migrations against this release's, without applying any. */
export function migrationStateOf(url: string, migrationsFolder: string): Promise<MigrationState> {
  return withClient(url, (client) => stateOf(client, migrationsFolder));
}
