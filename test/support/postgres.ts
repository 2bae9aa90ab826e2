import pg from "pg";
import { inject } from "vitest";
import { POSTGRES_ADMIN_URL, TEST_DATABASE_PREFIX, templateDatabaseOf } from "./services.js";

export function databaseUrl(name: string): string {
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/**
 * A database of this test file's own, copied from the migrated template, so
 * files run in parallel and rerun cleanly. `empty` skips the template (for
 * tests of the migrations themselves).
 */
export async function createTestDatabase(options: { empty?: boolean } = {}): Promise<TestDatabase> {
  const runId = inject("testRunId");
  const name = `${TEST_DATABASE_PREFIX}${runId}_${crypto.randomUUID().replace(/-/g, "").slice(0, 12)}`;
  const template = templateDatabaseOf(runId);
  await admin(async (client) => {
    // Copies of one template may not start at the same instant (the template
    // is briefly locked); retry a few times.
    for (let attempt = 0; ; attempt++) {
      try {
        await client.query(
          options.empty ? `CREATE DATABASE "${name}"` : `CREATE DATABASE "${name}" TEMPLATE "${template}"`,
        );
        return;
      } catch (error) {
        if (attempt >= 20 || !/being accessed by other users/.test((error as Error).message)) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 200));
      }
    }
  });
  return {
    name,
    url: databaseUrl(name),
    drop: () => dropDatabase(name),
  };
}

export async function dropDatabase(name: string): Promise<void> {
  await admin((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
}

/** Names of test databases (of every run, or of the run with this id). */
export async function listTestDatabases(runId?: string): Promise<string[]> {
  return admin(async (client) => {
    const result = await client.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE datname LIKE $1 OR datname = 'authority_test_template'",
      [`${TEST_DATABASE_PREFIX}${runId ? `${runId}\\_` : ""}%`],
    );
    return result.rows.map((row) => row.datname);
  });
}

/** A connection of its own to the database at `url`, for reading rows as stored around the code under test. */
export async function rowReader(url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return {
    rows: async (query: string, params?: unknown[]) => (await client.query(query, params)).rows,
    close: () => client.end(),
  };
}
