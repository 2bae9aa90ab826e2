/**
 * Upgrading erases the secrets of TOTP authenticators removed before removal
 * erased them (migrations/0018): the removed row stays, its secret goes; a
 * live authenticator keeps its own.
 */
import type pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { databaseBefore } from "../support/migrations.js";

let old: Awaited<ReturnType<typeof databaseBefore>>;
let sql: pg.Client;

beforeAll(async () => {
  old = await databaseBefore("0018_erase_removed_totp_secrets");
  sql = old.sql;
});
afterAll(() => old.close());

it("erases the secrets of removed authenticators and keeps the live ones'", async () => {
  const tenantId = crypto.randomUUID();
  await sql.query("insert into tenants (id, tenant_id, slug, name) values ($1, $1, 'upgraded', 'U')", [tenantId]);
  const userId = crypto.randomUUID();
  await sql.query(
    "insert into users (id, tenant_id, email_index, email_sealed) values ($1, $2, 'index', 'sealed-email')",
    [userId, tenantId],
  );
  const totp = (id: string, secret: string, removed: boolean) =>
    sql.query(
      `insert into mfa_totp (id, user_id, tenant_id, secret_sealed, confirmed_at, deleted_at)
       values ($1, $2, $3, $4, now(), $5)`,
      [id, userId, tenantId, secret, removed ? new Date() : null],
    );
  const removed = crypto.randomUUID();
  const live = crypto.randomUUID();
  await totp(removed, "k1:removed-secret", true);
  await totp(live, "k1:live-secret", false);

  await old.upgrade();

  const { rows } = await sql.query("select id, secret_sealed from mfa_totp where user_id = $1 order by deleted_at", [
    userId,
  ]);
  expect(rows).toEqual(
    expect.arrayContaining([
      { id: removed, secret_sealed: "" },
      { id: live, secret_sealed: "k1:live-secret" },
    ]),
  );
  expect(rows).toHaveLength(2);
});
