import { execFile } from "node:child_process";
import { cp, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migratePostgres } from "../../src/adapters/postgres/migrate-pg.js";
import { MIGRATIONS_FOLDER } from "../../src/entry/node-deps.js";
import { createTestDatabase, type TestDatabase } from "../support/postgres.js";

const TABLES = ["tenants", "users", "user_identities", "sessions", "api_keys", "signing_keys"];

let database: TestDatabase;
let client: pg.Client;

beforeAll(async () => {
  database = await createTestDatabase({ empty: true });
  // Three replicas starting together: the advisory lock lets each migration run once.
  await Promise.all([1, 2, 3].map(() => migratePostgres(database.url, MIGRATIONS_FOLDER)));
  client = new pg.Client({ connectionString: database.url });
  await client.connect();
});
afterAll(async () => {
  await client.end();
  await database.drop();
});

const id = () => crypto.randomUUID();
async function tenant(): Promise<string> {
  const tenantId = id();
  await client.query("insert into tenants (id, tenant_id, slug, name) values ($1, $1, $2, 'T')", [
    tenantId,
    `t-${tenantId.slice(0, 8)}`,
  ]);
  return tenantId;
}
async function user(tenantId: string, emailIndex: string): Promise<string> {
  const userId = id();
  await client.query("insert into users (id, tenant_id, email_index, email_sealed) values ($1, $2, $3, 'sealed')", [
    userId,
    tenantId,
    emailIndex,
  ]);
  return userId;
}
const violation = (promise: Promise<unknown>, code: string) => expect(promise).rejects.toMatchObject({ code });

describe("migrations", () => {
  it("create every table with tenant_id and the lifecycle timestamps", async () => {
    const { rows } = await client.query<{ table_name: string; column_name: string }>(
      "select table_name, column_name from information_schema.columns where table_schema = 'public'",
    );
    for (const table of TABLES) {
      const columns = rows.filter((r) => r.table_name === table).map((r) => r.column_name);
      expect(columns, table).toEqual(expect.arrayContaining(["tenant_id", "created_at", "updated_at", "deleted_at"]));
    }
  });

  it("ran once although three migrators raced, and a rerun changes nothing", async () => {
    const before = await client.query("select count(*)::int as n from drizzle.__drizzle_migrations");
    const files = (await readdir(MIGRATIONS_FOLDER)).filter((f) => f.endsWith(".sql"));
    expect(before.rows[0].n).toBe(files.length);
    await migratePostgres(database.url, MIGRATIONS_FOLDER);
    const after = await client.query("select count(*)::int as n from drizzle.__drizzle_migrations");
    expect(after.rows[0].n).toBe(files.length);
  });

  it("match the drizzle schema (drizzle-kit generates nothing new)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "migrations-"));
    try {
      await cp(MIGRATIONS_FOLDER, join(dir, "migrations"), { recursive: true });
      const config = join(dir, "drizzle.config.mjs");
      // drizzle-kit only takes an `out` folder relative to the working directory.
      await writeFile(
        config,
        `export default { dialect: "postgresql", schema: ${JSON.stringify(join(process.cwd(), "src/adapters/postgres/schema.ts"))}, out: ${JSON.stringify(relative(process.cwd(), join(dir, "migrations")))} };`,
      );
      const { stdout } = await promisify(execFile)("npx", ["drizzle-kit", "generate", `--config=${config}`], {
        cwd: process.cwd(),
      });
      expect(stdout).toContain("No schema changes");
      expect((await readdir(join(dir, "migrations"))).sort()).toEqual((await readdir(MIGRATIONS_FOLDER)).sort());
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe("constraints", () => {
  it("keep one live user per tenant and email, ignoring soft-deleted rows and other tenants", async () => {
    const [a, b] = [await tenant(), await tenant()];
    const first = await user(a, "email-hash-1");
    await violation(user(a, "email-hash-1"), "23505");
    await user(b, "email-hash-1");
    await client.query("update users set deleted_at = now() where id = $1", [first]);
    await expect(user(a, "email-hash-1")).resolves.toMatch(/-/);
  });

  it("never let a session, identity or API key point at a user of another tenant", async () => {
    const [a, b] = [await tenant(), await tenant()];
    const userOfB = await user(b, "cross");
    await violation(
      client.query(
        `insert into sessions (id, tenant_id, user_id, auth_method, auth_time, last_used_at, expires_at, absolute_expires_at)
         values ($1, $2, $3, 'password', now(), now(), now(), now())`,
        [id(), a, userOfB],
      ),
      "23503",
    );
    await violation(
      client.query(
        "insert into user_identities (id, tenant_id, user_id, provider, subject) values ($1, $2, $3, 'oauth:x', 's')",
        [id(), a, userOfB],
      ),
      "23503",
    );
    await violation(
      client.query(
        "insert into api_keys (id, tenant_id, user_id, name, prefix, key_hash) values ($1, $2, $3, 'k', 'sk_x', $4)",
        [id(), a, userOfB, id()],
      ),
      "23503",
    );
  });

  it("refuse a session whose idle expiry passes its absolute expiry", async () => {
    const a = await tenant();
    const u = await user(a, "expiry");
    await violation(
      client.query(
        `insert into sessions (id, tenant_id, user_id, auth_method, auth_time, last_used_at, expires_at, absolute_expires_at)
         values ($1, $2, $3, 'password', now(), now(), now() + interval '2 days', now() + interval '1 day')`,
        [id(), a, u],
      ),
      "23514",
    );
  });

  it("keep one active and one next signing key per tenant, and only known states", async () => {
    const a = await tenant();
    const key = (state: string) =>
      client.query(
        "insert into signing_keys (id, tenant_id, kid, alg, state, public_jwk, private_key_sealed) values ($1, $2, $3, 'RS256', $4, '{}', 's')",
        [id(), a, id(), state],
      );
    await key("active");
    await key("next");
    await key("retired");
    await key("retired");
    await violation(key("active"), "23P01");
    await violation(key("next"), "23P01");
    await violation(key("compromised"), "23514");
  });

  it("let one statement rotate the ring (retire, promote, add), checking the ring once at its end", async () => {
    const a = await tenant();
    const insert = (state: string) =>
      client.query<{ id: string }>(
        "insert into signing_keys (id, tenant_id, kid, alg, state, public_jwk, private_key_sealed) values ($1, $2, $3, 'RS256', $4, '{}', 's') returning id",
        [id(), a, id(), state],
      );
    await insert("active");
    await insert("next");
    await client.query(
      `with ring as (
         update signing_keys set state = case state when 'active' then 'retired' else 'active' end
         where tenant_id = $1 and state in ('active', 'next') returning id)
       insert into signing_keys (id, tenant_id, kid, alg, state, public_jwk, private_key_sealed)
       select $2, $1, $3, 'RS256', 'next', '{}', 's' where (select count(*) from ring) = 2`,
      [a, id(), id()],
    );
    const { rows } = await client.query(
      "select state, count(*)::int as n from signing_keys where tenant_id = $1 group by state order by state",
      [a],
    );
    expect(rows).toEqual([
      { state: "active", n: 1 },
      { state: "next", n: 1 },
      { state: "retired", n: 1 },
    ]);
  });

  it("keep one live identity per provider subject in a tenant", async () => {
    const a = await tenant();
    const u = await user(a, "identity");
    const identity = () =>
      client.query(
        "insert into user_identities (id, tenant_id, user_id, provider, subject) values ($1, $2, $3, 'oauth:google', 'sub-1')",
        [id(), a, u],
      );
    await identity();
    await violation(identity(), "23505");
  });

  it("keep API key hashes unique", async () => {
    const a = await tenant();
    const hash = id();
    const key = () =>
      client.query("insert into api_keys (id, tenant_id, name, prefix, key_hash) values ($1, $2, 'k', 'sk_x', $3)", [
        id(),
        a,
        hash,
      ]);
    await key();
    await violation(key(), "23505");
  });

  it("tie a tenant's tenant_id to its own id", async () => {
    await violation(
      client.query("insert into tenants (id, tenant_id, slug, name) values ($1, $2, 'mismatch', 'M')", [id(), id()]),
      "23514",
    );
  });
});
