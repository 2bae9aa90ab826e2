/**
 * An admin's deletion of a user erases the person, on real Postgres and
 * Redis: a user with a password, a name, a passkey, a TOTP authenticator,
 * recovery codes, an upstream identity, a consent and mailed links is
 * deleted, then the whole database is read directly: none of the user's
 * sealed values, blind indexes, hashes, keys or plaintexts is left anywhere,
 * while the deletion's audit event still names the id and the ledger still
 * refuses the user's tokens.
 */
import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import { generateHOTP } from "@oslojs/otp";
import { afterAll, beforeAll, expect, it } from "vitest";
import { AccountTokens } from "../../src/core/accounts/account-tokens.js";
import type { Tenant, UserRecord } from "../../src/core/ports/database.js";
import { GOOD_PASSWORD, JSON_HEADERS, type TokenBody } from "../support/accounts.js";
import { TEST_ADMIN_KEY, TEST_PUBLIC_URL } from "../support/app.js";
import { type SessionsApp, startSessionsApp } from "../support/sessions.js";
import { SoftAuthenticator } from "../support/soft-authenticator.js";

const ADMIN = { Authorization: `Bearer ${TEST_ADMIN_KEY}`, ...JSON_HEADERS };
const EMAIL = "ada.erased@example.com";
const NAME = "Ada Erasable";
const SUBJECT = "gh-erasable-4711";
/** The columns that held the person, per table, read before the deletion. */
const PERSONAL: Record<string, string[]> = {
  users: ["email_index", "email_sealed", "name_sealed", "password_hash"],
  user_identities: ["subject", "profile_sealed"],
  mfa_totp: ["secret_sealed"],
  passkeys: ["credential_id", "public_key", "name"],
  mfa_recovery_codes: ["code_hash"],
  account_tokens: ["token_hash", "email_index", "email_sealed"],
  sessions: ["user_agent"],
};

let s: SessionsApp;
beforeAll(async () => {
  s = await startSessionsApp();
});
afterAll(async () => {
  await s.close();
});

const post = (path: string, body: unknown, headers: Record<string, string>) =>
  s.t.app.request(path, { method: "POST", headers, body: JSON.stringify(body) });
const bearer = (token: string) => ({ ...JSON_HEADERS, Authorization: `Bearer ${token}` });

/** Every row of every table, as JSON text. */
async function everyRow(): Promise<string> {
  const { rows: tables } = await s.db.query<{ name: string }>(
    "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public'",
  );
  const dump: string[] = [];
  for (const { name } of tables) {
    const { rows } = await s.db.query(`SELECT row_to_json(t)::text AS row FROM "${name}" t`);
    dump.push(...rows.map((row) => String(row.row)));
  }
  return dump.join("\n");
}

/** The user's values in the personal columns, read directly. */
async function personalValues(userId: string): Promise<string[]> {
  const values: string[] = [];
  for (const [table, columns] of Object.entries(PERSONAL)) {
    const owner = table === "users" ? "id" : "user_id";
    const { rows } = await s.db.query(`SELECT ${columns.join(", ")} FROM ${table} WHERE ${owner} = $1`, [userId]);
    for (const row of rows) values.push(...Object.values(row).filter((v): v is string => typeof v === "string"));
  }
  return values;
}

it("erases every personal value of a deleted user, keeping the id for the audit trail and the ledger", async () => {
  const tenant = (await s.t.deps.db.tenants.findBySlug("acme")) as Tenant;
  const signup = await s.t.app.request("/t/acme/v1/signup", {
    method: "POST",
    headers: { ...JSON_HEADERS, "User-Agent": "Erasable Browser/1.0" },
    body: JSON.stringify({ email: EMAIL, password: GOOD_PASSWORD, name: NAME }),
  });
  expect(signup.status).toBe(201);
  const ada = (await signup.json()) as TokenBody & { user: { id: string } };
  const userId = ada.user.id;

  // Mailed links: an address change (the new address sealed in the token) and a reset.
  const user = (await s.t.deps.db.users.findById(tenant.id, userId)) as UserRecord;
  const tokens = new AccountTokens(s.t.deps);
  const next = await s.t.services.accounts.sealAddress(tenant, userId, "ada.next@example.com", "new_email");
  await tokens.issue({ tenantId: tenant.id, userId, purpose: "change_email", ...next });
  await tokens.issue({ tenantId: tenant.id, userId, purpose: "password_reset", emailIndex: user.emailIndex });
  // A passkey (its recovery codes come with it), then an authenticator app.
  const authenticator = await SoftAuthenticator.create();
  const optionsAnswer = await post("/t/acme/v1/mfa/passkeys/registration/options", {}, bearer(ada.access_token));
  const options = (await optionsAnswer.json()) as Parameters<SoftAuthenticator["register"]>[0];
  const registered = await post(
    "/t/acme/v1/mfa/passkeys/registration",
    { response: await authenticator.register(options, { origin: TEST_PUBLIC_URL }), name: "Ada's laptop" },
    bearer(ada.access_token),
  );
  expect(registered.status, await registered.clone().text()).toBe(201);
  expect(((await registered.json()) as { recovery_codes: string[] }).recovery_codes).toHaveLength(10);
  const totp = await s.t.services.mfa.enrollTotp(tenant, user);
  const step = BigInt(Math.floor(s.clock.now().getTime() / 30_000));
  const code = generateHOTP(decodeBase32IgnorePadding(totp.secret), step, 6);
  await s.t.services.mfa.confirmTotp(tenant, userId, totp.id, code, "net");
  // An upstream identity joining the verified account, and a consent to a third-party client.
  const verified = await s.t.app.request(`/t/acme/v1/admin/users/${userId}`, {
    method: "PATCH",
    headers: ADMIN,
    body: JSON.stringify({ email_verified: true }),
  });
  expect(verified.status).toBe(200);
  const profile = { subject: SUBJECT, email: EMAIL, name: "Ada at GitHub", emailVerified: true };
  expect((await s.t.services.logins.link(tenant, "oauth:github", profile)).id).toBe(userId);
  const client = await post(
    "/t/acme/v1/admin/clients",
    { name: "Calendar", type: "public", redirect_uris: ["https://app.example/cb"] },
    ADMIN,
  );
  await s.t.services.consents.grant(tenant, userId, ((await client.json()) as { client_id: string }).client_id, [
    "openid",
  ]);

  // A dump as docs/security.md describes it: no address or name of the user, but a passkey's name,
  // an identity's subject and a session's user agent in the clear.
  const live = await everyRow();
  expect([EMAIL, "ada.next@example.com", NAME].filter((value) => live.includes(value))).toEqual([]);
  for (const clear of ["Ada's laptop", SUBJECT, "Erasable Browser/1.0"]) expect(live).toContain(clear);

  const before = await personalValues(userId);
  expect(before.filter((value) => value.startsWith("s1.")).length).toBe(5);
  const counts = await s.db.query(
    `SELECT (SELECT count(*) FROM mfa_recovery_codes WHERE user_id = $1)::int AS codes,
            (SELECT count(*) FROM consents WHERE user_id = $1)::int AS consents,
            (SELECT count(*) FROM account_tokens WHERE user_id = $1 AND used_at IS NULL)::int AS tokens`,
    [userId],
  );
  expect(counts.rows[0]).toEqual({ codes: 10, consents: 1, tokens: 2 });

  const deleted = await s.t.app.request(`/t/acme/v1/admin/users/${userId}`, { method: "DELETE", headers: ADMIN });
  expect(deleted.status).toBe(204);
  await s.t.services.background.drain();

  const dump = await everyRow();
  const left = [...before, EMAIL, "ada.next@example.com", NAME, SUBJECT, "Ada's laptop", authenticator.credentialId];
  expect(left.filter((value) => value.length > 0 && dump.includes(value))).toEqual([]);
  expect((await personalValues(userId)).filter((value) => value !== "")).toEqual([]);
  const { rows: sessions } = await s.db.query("SELECT ip, user_agent FROM sessions WHERE user_id = $1", [userId]);
  expect(sessions.length).toBeGreaterThan(0);
  expect(sessions.every((row) => row.ip === null && row.user_agent === null)).toBe(true);

  // The trail still names the deleted id; the ledger still answers "deleted".
  const { rows: trail } = await s.db.query("SELECT action FROM audit_events WHERE target_id = $1", [userId]);
  expect(trail.map((row) => row.action)).toContain("admin.users.delete");
  await s.expectInvalidGrant(await s.api.refresh("acme", ada.refresh_token));
  await s.expectRevoked("acme", ada.access_token);
  // The address signs up again, as a new account.
  const again = await s.api.signup("acme", EMAIL);
  expect(again.status).toBe(201);
  expect(((await again.json()) as { user: { id: string } }).user.id).not.toBe(userId);
});
