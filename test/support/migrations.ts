import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { migratePostgres } from "../../src/adapters/postgres/migrate-pg.js";
import { MIGRATIONS_FOLDER } from "../../src/entry/node-deps.js";
import { createTestDatabase } from "./postgres.js";

/**
 * A copy of this release's migrations as an earlier release had them: those
 * before `tag` (or all but the last when `tag` is absent). drizzle applies
 * none older than the last applied, so the later ones go too.
 */
export async function earlierMigrations(
  tag?: string,
): Promise<{ dir: string; count: number; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "migrations-"));
  await cp(MIGRATIONS_FOLDER, dir, { recursive: true });
  const journal = JSON.parse(await readFile(join(dir, "meta/_journal.json"), "utf8"));
  const entries: { tag: string }[] = journal.entries;
  const cut = tag === undefined ? entries.length - 1 : entries.findIndex((entry) => entry.tag === tag);
  if (cut < 0) throw new Error(`no migration ${tag}`);
  for (const entry of entries.slice(cut)) await rm(join(dir, `${entry.tag}.sql`));
  journal.entries = entries.slice(0, cut);
  await writeFile(join(dir, "meta/_journal.json"), JSON.stringify(journal));
  return { dir, count: cut, remove: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * A new database as an earlier release left it (migrated up to before
 * `tag`), with a client on it; `upgrade()` applies this release's migrations.
 */
export async function databaseBefore(tag: string) {
  const database = await createTestDatabase({ empty: true });
  const earlier = await earlierMigrations(tag);
  await migratePostgres(database.url, earlier.dir);
  await earlier.remove();
  const sql = new pg.Client({ connectionString: database.url });
  await sql.connect();
  return {
    url: database.url,
    sql,
    upgrade: () => migratePostgres(database.url, MIGRATIONS_FOLDER),
    async close() {
      await sql.end();
      await database.drop();
    },
  };
}
