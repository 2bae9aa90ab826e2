/**
 * Upgrading erases the users deleted before deletion erased the person
 * (migrations/0016): a database migrated up to 0015 holds a deleted user with
 * every kind of personal row, and a live one; after the upgrade nothing
 * personal of the deleted user is left, its ids stay, and the live user is untouched.
 */
import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { migratePostgres } from "../../src/adapters/postgres/migrate-pg.js";
import { earlierMigrations } from "../support/migrations.js";
import { createTestDatabase, type TestDatabase } from "../support/postgres.js";
import { USER_OWNED_TABLES } from "../support/user-tables.js";

const ERASING = "0016_erase_deleted_users";

let database: TestDatabase;
let sql: pg.Client;
let earlier: Awaited<ReturnType<typeof earlierMigrations>>;
/** Up to the erasing migration: later ones change live users' rows too (0019 salts recovery codes). */
let erasing: Awaited<ReturnType<typeof earlierMigrations>>;

beforeAll(async () => {
  database = await createTestDatabase({ empty: true });
  earlier = await earlierMigrations(ERASING);
  erasing = await earlierMigrations("0017_users_deleted_unerased");
  await migratePostgres(database.url, earlier.dir);
  sql = new pg.Client({ connectionString: database.url });
  await sql.connect();
});
afterAll(async () => {
  await sql.end();
  await database.drop();
  await earlier.remove();
  await erasing.remove();
});

/** A user with a row in every table that holds users' data, each personal value marked `personal-`. */
async function seedUser(tenantId: string, clientId: string, deleted: boolean): Promise<string> {
  const userId = crypto.randomUUID();
  const mark = (what: string) => `personal-${what}-${crypto.randomUUID()}`;
  const run = (text: string, values: unknown[]) => sql.query(text, [userId, tenantId, ...values]);
  await run(
    `insert into users (id, tenant_id, email_index, email_sealed, name_sealed, password_hash, deleted_at)
     values ($1, $2, $3, $4, $5, $6, $7)`,
    [mark("index"), mark("email"), mark("name"), mark("hash"), deleted ? new Date() : null],
  );
  await run(
    `insert into user_identities (id, user_id, tenant_id, provider, subject, email_index, profile_sealed, deleted_at)
     values ($3, $1, $2, 'oauth:github', $4, $5, $6, $7)`,
    [crypto.randomUUID(), mark("subject"), mark("index"), mark("profile"), deleted ? new Date() : null],
  );
  await run(
    "insert into mfa_totp (id, user_id, tenant_id, secret_sealed, confirmed_at) values ($3, $1, $2, $4, now())",
    [crypto.randomUUID(), mark("totp")],
  );
  await run(
    `insert into passkeys (id, user_id, tenant_id, credential_id, public_key, device_type, backed_up, name)
     values ($3, $1, $2, $4, $5, 'multiDevice', true, $6)`,
    [crypto.randomUUID(), mark("credential"), mark("key"), mark("device")],
  );
  await run("insert into mfa_recovery_codes (user_id, tenant_id, code_hash, created_at) values ($1, $2, $3, now())", [
    mark("code"),
  ]);
  await run(
    "insert into consents (user_id, tenant_id, client_id, scopes, created_at, updated_at) values ($1, $2, $3, '[]', now(), now())",
    [clientId],
  );
  await run(
    `insert into account_tokens (user_id, tenant_id, token_hash, purpose, email_index, email_sealed, created_at, expires_at)
     values ($1, $2, $3, 'change_email', $4, $5, now(), now() + interval '1 day')`,
    [mark("token"), mark("index"), mark("email")],
  );
  await run(
    `insert into sessions (id, user_id, tenant_id, auth_method, user_agent, ip, auth_time, last_used_at, expires_at, absolute_expires_at)
     values ($3, $1, $2, 'password', $4, '192.0.2.7', now(), now(), now(), now())`,
    [crypto.randomUUID(), mark("agent")],
  );
  return userId;
}

async function rowsOf(userId: string): Promise<string[]> {
  const rows = (await sql.query("select row_to_json(u)::text as row from users u where id = $1", [userId])).rows;
  for (const table of USER_OWNED_TABLES) {
    rows.push(
      ...(await sql.query(`select row_to_json(t)::text as row from ${table} t where user_id = $1`, [userId])).rows,
    );
  }
  return rows.map((row) => String(row.row));
}

it("erases what the users deleted before the upgrade left behind, and nothing of the live ones", async () => {
  const tenantId = crypto.randomUUID();
  await sql.query("insert into tenants (id, tenant_id, slug, name) values ($1, $1, 'upgraded', 'U')", [tenantId]);
  await sql.query(
    "insert into oauth_clients (client_id, tenant_id, name, type) values ('calendar', $1, 'Calendar', 'public')",
    [tenantId],
  );
  const gone = await seedUser(tenantId, "calendar", true);
  const live = await seedUser(tenantId, "calendar", false);
  const before = await rowsOf(live);
  expect((await rowsOf(gone)).filter((row) => row.includes("personal")).length).toBe(7);

  await migratePostgres(database.url, erasing.dir);

  expect((await rowsOf(gone)).filter((row) => row.includes("personal"))).toEqual([]);
  expect(await rowsOf(live)).toEqual(before);
  const count = async (table: string) =>
    (await sql.query(`select count(*)::int as n from ${table} where user_id = $1`, [gone])).rows[0].n;
  for (const table of ["user_identities", "mfa_totp", "passkeys", "sessions"]) expect(await count(table)).toBe(1);
  for (const table of ["mfa_recovery_codes", "consents", "account_tokens"]) expect(await count(table)).toBe(0);
  // The factors left live on a deleted user are removed with it.
  const { rows } = await sql.query(
    "select (select deleted_at from mfa_totp where user_id = $1) = deleted_at as totp, " +
      "(select deleted_at from passkeys where user_id = $1) = deleted_at as passkey from users where id = $1",
    [gone],
  );
  expect(rows).toEqual([{ totp: true, passkey: true }]);
});
