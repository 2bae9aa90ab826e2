import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256Base64Url } from "../../src/core/crypto/digest.js";
import { totpCode, totpStep } from "../../src/core/mfa/totp.js";
import type { Tenant } from "../../src/core/ports/database.js";
import { newPasskey } from "../contract/seed.js";
import { appClient, decode, JSON_HEADERS, type TokenBody } from "../support/accounts.js";
import { startTestApp, TEST_ADMIN_KEY, type TestApp } from "../support/app.js";
import { pinnedClock } from "../support/key-ring.js";

const clock = pinnedClock(Date.UTC(2026, 10, 2, 9));
let t: TestApp;
let api: ReturnType<typeof appClient>;
let db: pg.Client;
let tenant: Tenant;
let n = 0;

interface Challenge {
  mfa_required: true;
  mfa_token: string;
  factors: string[];
  expires_in: number;
}

beforeAll(async () => {
  t = await startTestApp({ clock });
  api = appClient(t);
  db = new pg.Client({ connectionString: t.database.url });
  await db.connect();
  await api.createTenant("mfa");
  tenant = await t.services.tenants.require("mfa");
});
afterAll(async () => {
  await db.end();
  await t.close();
});

const bearer = (token: string) => ({ ...JSON_HEADERS, Authorization: `Bearer ${token}` });
const admin = { ...JSON_HEADERS, Authorization: `Bearer ${TEST_ADMIN_KEY}` };

/** A user with a confirmed TOTP authenticator: its secret and recovery codes. */
async function enrolled(scopes: string[] = []) {
  const email = `u${++n}@example.com`;
  const signup = (await (await api.signup("mfa", email)).json()) as TokenBody & { user: { id: string } };
  if (scopes.length > 0) {
    await db.query("UPDATE users SET scopes = $1 WHERE id = $2", [JSON.stringify(scopes), signup.user.id]);
  }
  const user = await t.services.accounts.findUser(tenant, signup.user.id);
  if (!user) throw new Error("no user");
  const enrollment = await t.services.mfa.enrollTotp(tenant, user);
  const secret = decodeBase32IgnorePadding(enrollment.secret);
  // The confirming code is of the previous step, so the login's code (this step) is not a replay.
  const first = totpCode(secret, totpStep(clock.now()) - 1);
  const { recoveryCodes } = await t.services.mfa.confirmTotp(tenant, user.id, enrollment.id, first, "net");
  return { email, userId: user.id, secret, recoveryCodes: recoveryCodes ?? [], signup };
}

const code = (secret: Uint8Array) => totpCode(secret, totpStep(clock.now()));

async function challenge(email: string): Promise<Challenge> {
  const response = await api.login("mfa", email);
  expect(response.status).toBe(200);
  return (await response.json()) as Challenge;
}

// One client network, so the login throttle's per-network backoff applies.
const verify = (body: Record<string, unknown>) =>
  api.post("/t/mfa/v1/mfa/verify", body, { ...JSON_HEADERS, "x-test-client-ip": "203.0.113.9" });

async function problem(response: Response, status: number, code: string) {
  expect(response.status).toBe(status);
  expect(((await response.json()) as { code: string }).code).toBe(code);
}

describe("login with a second factor", () => {
  it("offers every kind of factor the user holds, and no longer one that was removed", async () => {
    const { email, userId } = await enrolled();
    const passkey = newPasskey({ tenantId: tenant.id, userId }, clock.now());
    expect(await t.deps.db.passkeys.create(passkey, 50)).toMatchObject({ id: passkey.id });
    expect((await challenge(email)).factors).toEqual(["totp", "passkey", "recovery_code"]);
    await db.query("UPDATE mfa_totp SET deleted_at = now() WHERE user_id = $1", [userId]);
    expect((await challenge(email)).factors).toEqual(["passkey", "recovery_code"]);
  });

  it("answers a challenge and no tokens: no session row, no refresh token", async () => {
    const { email, userId } = await enrolled();
    const sessionsBefore = await db.query("SELECT count(*)::int AS n FROM sessions WHERE user_id = $1", [userId]);
    const body = await challenge(email);
    expect(body).toEqual({
      mfa_required: true,
      mfa_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      factors: ["totp", "recovery_code"],
      expires_in: 300,
    });
    expect(JSON.stringify(body)).not.toMatch(/access_token|refresh_token|session_id/);
    const sessionsAfter = await db.query("SELECT count(*)::int AS n FROM sessions WHERE user_id = $1", [userId]);
    expect(sessionsAfter.rows[0].n).toBe(sessionsBefore.rows[0].n);
    // The token is stored hashed: Redis holds its hash, never the token.
    const kv = t.deps.kv;
    expect(await kv.get(`mfa-challenge:${tenant.id}:${body.mfa_token}`)).toBeNull();
    const stored = await kv.get(`mfa-challenge:${tenant.id}:${await sha256Base64Url(body.mfa_token)}`);
    expect(JSON.parse(stored ?? "null")).toMatchObject({ userId, amr: ["pwd"], method: "password", attempts: 0 });
  });

  it("finishes with a TOTP code: tokens with amr pwd+otp+mfa and the mfa acr; the token is single use", async () => {
    const { email, secret, userId } = await enrolled();
    const { mfa_token } = await challenge(email);
    const response = await verify({ mfa_token, type: "totp", code: code(secret) });
    expect(response.status).toBe(200);
    const tokens = (await response.json()) as TokenBody;
    const { claims } = decode(tokens.access_token);
    expect(claims).toMatchObject({ sub: userId, amr: ["pwd", "otp", "mfa"], acr: "urn:authority:mfa" });
    const row = await db.query("SELECT amr FROM sessions WHERE id = $1", [tokens.session_id]);
    expect(row.rows[0].amr).toEqual(["pwd", "otp", "mfa"]);
    // Replay of the spent challenge, even with the next step's code.
    clock.advance(30_000);
    await problem(await verify({ mfa_token, type: "totp", code: code(secret) }), 401, "invalid_mfa_token");
  });

  it("refuses a code of another user for this user's challenge, and a forged token", async () => {
    const alice = await enrolled();
    const bob = await enrolled();
    const { mfa_token } = await challenge(alice.email);
    await problem(await verify({ mfa_token, type: "totp", code: code(bob.secret) }), 400, "invalid_mfa_code");
    const forged = "A".repeat(43);
    await problem(
      await verify({ mfa_token: forged, type: "totp", code: code(alice.secret) }),
      401,
      "invalid_mfa_token",
    );
    // Bob's own challenge is no way into Alice's account.
    const bobs = await challenge(bob.email);
    const ok = await verify({ mfa_token: bobs.mfa_token, type: "totp", code: code(bob.secret) });
    expect(decode(((await ok.json()) as TokenBody).access_token).claims.sub).toBe(bob.userId);
  });

  it("refuses a challenge after 5 minutes (injected clock)", async () => {
    const { email, secret } = await enrolled();
    const { mfa_token } = await challenge(email);
    clock.advance(300_001);
    await problem(await verify({ mfa_token, type: "totp", code: code(secret) }), 401, "invalid_mfa_token");
  });

  it("kills the challenge after 5 wrong codes, and wrong codes are throttled", async () => {
    const { email, secret } = await enrolled();
    const { mfa_token } = await challenge(email);
    const wrong = code(secret) === "000000" ? "111111" : "000000";
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await verify({ mfa_token, type: "totp", code: wrong })).status);
    // The fifth wrong code was the challenge's last: the sixth attempt finds no challenge.
    expect(statuses).toEqual([400, 400, 400, 400, 400, 401]);
    await problem(await verify({ mfa_token, type: "totp", code: code(secret) }), 401, "invalid_mfa_token");
    // The account's throttle counted the five: a new challenge waits (429) before any check, and survives it.
    const next = await challenge(email);
    await problem(await verify({ mfa_token: next.mfa_token, type: "totp", code: code(secret) }), 429, "rate_limited");
    clock.advance(2_000);
    const ok = await verify({ mfa_token: next.mfa_token, type: "totp", code: code(secret) });
    expect(ok.status).toBe(200);
  });

  it("takes a recovery code once", async () => {
    const { email, recoveryCodes } = await enrolled();
    expect(recoveryCodes).toHaveLength(10);
    const first = await challenge(email);
    const ok = await verify({ mfa_token: first.mfa_token, type: "recovery_code", code: recoveryCodes[0] });
    expect(ok.status).toBe(200);
    const second = await challenge(email);
    await problem(
      await verify({ mfa_token: second.mfa_token, type: "recovery_code", code: recoveryCodes[0] }),
      400,
      "invalid_mfa_code",
    );
  });

  it("validates the body", async () => {
    await problem(await verify({ mfa_token: "x", type: "sms", code: "1" }), 400, "validation_failed");
  });
});

describe("tenant MFA policy", () => {
  it("reads and sets the policy and the federated-login setting (admin only)", async () => {
    const path = "/t/mfa/v1/admin/mfa-policy";
    const put = (body: unknown) => t.app.request(path, { method: "PUT", headers: admin, body: JSON.stringify(body) });
    expect(await (await t.app.request(path, { headers: admin })).json()).toEqual({
      policy: "optional",
      federated_logins: "second_step",
    });
    const trusting = { policy: "required_for_admins", federated_logins: "trust_upstream" };
    expect(await (await put(trusting)).json()).toEqual(trusting);
    expect(await (await t.app.request(path, { headers: admin })).json()).toEqual(trusting);
    // PUT replaces: an omitted federated_logins is the default again.
    expect(await (await put({ policy: "optional" })).json()).toEqual({
      policy: "optional",
      federated_logins: "second_step",
    });
    await problem(await put({ policy: "x" }), 400, "validation_failed");
    await problem(await put({ policy: "required", extra: 1 }), 400, "validation_failed");
    await problem(await put({ policy: "optional", federated_logins: "sometimes" }), 400, "validation_failed");
    const signup = (await (await api.signup("mfa", `u${++n}@example.com`)).json()) as TokenBody;
    const asUser = await t.app.request(path, { headers: bearer(signup.access_token) });
    expect(asUser.status).toBe(401);
  });
});

describe("step-up", () => {
  const changePassword = (token: string) =>
    api.changePassword("mfa", token, "correct horse battery staple", "a whole new passphrase here");

  it("refuses sensitive changes without a recent second factor, for users who have one", async () => {
    const { signup, email, secret } = await enrolled(["admin"]);
    // The signup's session predates the factor: password alone.
    await problem(await changePassword(signup.access_token), 403, "step_up_required");
    await problem(await api.changeEmail("mfa", signup.access_token, `n${n}@example.com`), 403, "step_up_required");
    const key = () =>
      t.app.request("/t/mfa/v1/api-keys", {
        method: "POST",
        headers: bearer(signup.access_token),
        body: JSON.stringify({ name: "k", scopes: ["admin"] }),
      });
    await problem(await key(), 403, "step_up_required");

    const { mfa_token } = await challenge(email);
    const fresh = (await (await verify({ mfa_token, type: "totp", code: code(secret) })).json()) as TokenBody;
    const created = await t.app.request("/t/mfa/v1/api-keys", {
      method: "POST",
      headers: bearer(fresh.access_token),
      body: JSON.stringify({ name: "k", scopes: ["admin"] }),
    });
    expect(created.status).toBe(201);
    // Five minutes later the factor is no longer fresh.
    clock.advance(5 * 60_000 + 1_000);
    const refreshed = (await (await api.refresh("mfa", fresh.refresh_token)).json()) as TokenBody;
    await problem(await changePassword(refreshed.access_token), 403, "step_up_required");
  });

  it("lets users without a factor change their password as before", async () => {
    const signup = (await (await api.signup("mfa", `u${++n}@example.com`)).json()) as TokenBody;
    expect((await changePassword(signup.access_token)).status).toBe(204);
  });
});
