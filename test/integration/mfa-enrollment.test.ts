/**
 * A required MFA policy is enforced (issue 20), on real Postgres and Redis:
 * a bound user without a factor gets no tokens from login or signup but an
 * enrollment challenge, whose `mfa_token` enrolls an authenticator app or a
 * passkey and so finishes the login. The attacks: a challenge of a user who
 * has a factor cannot enroll one, expired or spent tokens are refused, wrong
 * first codes cost attempts and count against the throttle.
 */
import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { totpCode, totpStep } from "../../src/core/mfa/totp.js";
import { appClient, decode, JSON_HEADERS, type TokenBody } from "../support/accounts.js";
import { startTestApp, TEST_ADMIN_KEY, TEST_PUBLIC_URL, type TestApp } from "../support/app.js";
import { pinnedClock } from "../support/key-ring.js";
import { expectProblem, readAnswer } from "../support/problem.js";
import { SoftAuthenticator } from "../support/soft-authenticator.js";

const clock = pinnedClock(Date.UTC(2026, 10, 3, 9));
let t: TestApp;
let api: ReturnType<typeof appClient>;
let db: pg.Client;
let n = 0;

const admin = { ...JSON_HEADERS, Authorization: `Bearer ${TEST_ADMIN_KEY}` };
// One client network, so the login throttle's per-network backoff applies.
const post = async (path: string, body: unknown, extra: Record<string, string> = {}) =>
  readAnswer(
    await t.app.request(path, {
      method: "POST",
      headers: { ...JSON_HEADERS, "x-test-client-ip": "203.0.113.7", ...extra },
      body: JSON.stringify(body),
    }),
  );
const setPolicy = (tenant: string, policy: string) =>
  t.app.request(`/t/${tenant}/v1/admin/mfa-policy`, {
    method: "PUT",
    headers: admin,
    body: JSON.stringify({ policy }),
  });

beforeAll(async () => {
  t = await startTestApp({ clock });
  api = appClient(t);
  db = new pg.Client({ connectionString: t.database.url });
  await db.connect();
  await api.createTenant("bound");
  await api.createTenant("admins");
  // Users sign up while the policy is optional (tokens), then it becomes required.
  expect((await setPolicy("bound", "required")).status).toBe(200);
  expect((await setPolicy("admins", "required_for_admins")).status).toBe(200);
});
afterAll(async () => {
  await db.end();
  await t.close();
});

const sessionsOf = async (userId: string) =>
  (await db.query("SELECT count(*)::int AS n FROM sessions WHERE user_id = $1", [userId])).rows[0].n as number;

/** Signs a user up at a tenant whose policy binds them: the enrollment challenge, and the user. */
async function boundSignup(tenant = "bound") {
  const email = `e${++n}@example.com`;
  const answer = await readAnswer(await api.signup(tenant, email));
  expect(answer.status, answer.text).toBe(201);
  return { email, userId: (answer.json.user as { id: string }).id, answer };
}

async function enrollmentChallenge(tenant: string, email: string): Promise<string> {
  const answer = await readAnswer(await api.login(tenant, email));
  expect(answer.status, answer.text).toBe(200);
  expect(answer.json).toEqual({
    mfa_required: true,
    mfa_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    factors: [],
    enrollment_required: true,
    expires_in: 300,
  });
  return answer.json.mfa_token as string;
}

async function startTotp(tenant: string, mfaToken: string) {
  const answer = await post(`/t/${tenant}/v1/mfa/enroll/totp`, { mfa_token: mfaToken });
  expect(answer.status, answer.text).toBe(201);
  return { id: answer.json.id as string, secret: decodeBase32IgnorePadding(answer.json.secret as string), answer };
}

const code = (secret: Uint8Array, offset = 0) => totpCode(secret, totpStep(clock.now()) + offset);
const verify = (tenant: string, body: Record<string, unknown>) => post(`/t/${tenant}/v1/mfa/verify`, body);

/** A bound user who enrolled an authenticator during a login: its secret, after the login's step. */
async function enrolled(tenant = "bound") {
  const { email, userId } = await boundSignup(tenant);
  const mfaToken = await enrollmentChallenge(tenant, email);
  const { secret } = await startTotp(tenant, mfaToken);
  const done = await verify(tenant, { mfa_token: mfaToken, type: "totp", code: code(secret) });
  expect(done.status, done.text).toBe(200);
  clock.advance(30_000);
  return { email, userId, secret };
}

describe("enforced policy: no tokens before a factor", () => {
  it("signup of a bound user answers the user and the enrollment challenge: no tokens, no session, no cookie", async () => {
    const email = `e${++n}@example.com`;
    const answer = await readAnswer(
      await t.app.request("/t/bound/v1/signup", {
        method: "POST",
        headers: JSON_HEADERS,
        body: JSON.stringify({ email, password: "correct horse battery staple", cookie: true }),
      }),
    );
    expect(answer.status, answer.text).toBe(201);
    expect(answer.json).toEqual({
      user: expect.objectContaining({ email }),
      mfa_required: true,
      mfa_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      factors: [],
      enrollment_required: true,
      expires_in: 300,
    });
    expect(answer.text).not.toMatch(/access_token|refresh_token|session_id/);
    expect(answer.headers.get("set-cookie")).toBeNull();
    expect(answer.headers.get("cache-control")).toBe("no-store");
    expect(await sessionsOf((answer.json.user as { id: string }).id)).toBe(0);
  });

  it("login of a bound user without a factor: the enrollment challenge only", async () => {
    const { email, userId } = await boundSignup();
    const answer = await readAnswer(
      await t.app.request("/t/bound/v1/login", {
        method: "POST",
        headers: JSON_HEADERS,
        body: JSON.stringify({ email, password: "correct horse battery staple", cookie: true }),
      }),
    );
    expect(answer.json).toMatchObject({ mfa_required: true, factors: [], enrollment_required: true });
    expect(answer.text).not.toMatch(/access_token|refresh_token|session_id/);
    expect(answer.headers.get("set-cookie")).toBeNull();
    expect(await sessionsOf(userId)).toBe(0);
  });

  it("required_for_admins binds only users holding admin", async () => {
    const bossEmail = `e${++n}@example.com`;
    const plainEmail = `e${++n}@example.com`;
    await setPolicy("admins", "optional");
    const boss = (await (await api.signup("admins", bossEmail)).json()) as TokenBody & { user: { id: string } };
    await api.signup("admins", plainEmail);
    await setPolicy("admins", "required_for_admins");
    await db.query("UPDATE users SET scopes = $1 WHERE id = $2", [JSON.stringify(["admin"]), boss.user.id]);
    await enrollmentChallenge("admins", bossEmail);
    const plain = await readAnswer(await api.login("admins", plainEmail));
    expect(plain.json).toMatchObject({ token_type: "Bearer" });
    expect(plain.json).not.toHaveProperty("enrollment_required");
    expect(decode(plain.json.access_token as string).claims).toMatchObject({ amr: ["pwd"] });
  });
});

describe("enrollment during the login", () => {
  it("an authenticator app: its first code confirms it and finishes the login with recovery codes and amr", async () => {
    const { email, userId } = await boundSignup();
    const mfaToken = await enrollmentChallenge("bound", email);
    const { id, secret, answer } = await startTotp("bound", mfaToken);
    expect(answer.json).toEqual({
      id,
      secret: expect.stringMatching(/^[A-Z2-7]{32}$/),
      otpauth_uri: expect.stringMatching(/^otpauth:\/\/totp\//),
      qr_svg: expect.stringMatching(/^<svg /),
    });
    expect(answer.headers.get("cache-control")).toBe("no-store");
    // Not a factor yet: the login is still waiting.
    expect(await t.services.mfa.list(await t.services.tenants.require("bound"), userId)).toEqual([]);

    const done = await verify("bound", { mfa_token: mfaToken, type: "totp", code: code(secret) });
    expect(done.status, done.text).toBe(200);
    const recovery = done.json.recovery_codes as string[];
    expect(recovery).toHaveLength(10);
    expect(new Set(recovery).size).toBe(10);
    const { claims } = decode(done.json.access_token as string);
    expect(claims).toMatchObject({ sub: userId, amr: ["pwd", "otp", "mfa"], acr: "urn:authority:mfa" });
    const row = await db.query("SELECT amr, auth_method FROM sessions WHERE id = $1", [done.json.session_id]);
    expect(row.rows[0]).toEqual({ amr: ["pwd", "otp", "mfa"], auth_method: "password" });

    // The token is spent, for verifying and enrolling alike.
    clock.advance(30_000);
    expectProblem(
      await verify("bound", { mfa_token: mfaToken, type: "totp", code: code(secret) }),
      401,
      "invalid_mfa_token",
    );
    expectProblem(await post("/t/bound/v1/mfa/enroll/totp", { mfa_token: mfaToken }), 401, "invalid_mfa_token");
    // The next login verifies the factor; a recovery code from the enrollment works there.
    const next = await readAnswer(await api.login("bound", email));
    expect(next.json).toMatchObject({ mfa_required: true, factors: ["totp", "recovery_code"] });
    expect(next.json).not.toHaveProperty("enrollment_required");
    const viaCode = await verify("bound", { mfa_token: next.json.mfa_token, type: "recovery_code", code: recovery[0] });
    expect(viaCode.status, viaCode.text).toBe(200);
  });

  it("a new enroll call replaces the pending authenticator; codes of the old one do not confirm", async () => {
    const { email } = await boundSignup();
    const mfaToken = await enrollmentChallenge("bound", email);
    // Before any authenticator was started there is nothing to confirm (409), and nothing is spent.
    expectProblem(
      await verify("bound", { mfa_token: mfaToken, type: "totp", code: "123456" }),
      409,
      "no_second_factor",
    );
    expectProblem(
      await verify("bound", { mfa_token: mfaToken, type: "recovery_code", code: "aaaaa-bbbbb" }),
      409,
      "no_second_factor",
    );
    const first = await startTotp("bound", mfaToken);
    const second = await startTotp("bound", mfaToken);
    expect(second.id).not.toBe(first.id);
    expectProblem(
      await verify("bound", { mfa_token: mfaToken, type: "totp", code: code(first.secret) }),
      400,
      "invalid_mfa_code",
    );
    const done = await verify("bound", { mfa_token: mfaToken, type: "totp", code: code(second.secret) });
    expect(done.status, done.text).toBe(200);
  });

  it("a passkey: options for the challenged user, the registration stores it and finishes the login", async () => {
    const { email, userId } = await boundSignup();
    const mfaToken = await enrollmentChallenge("bound", email);
    // An enrollment challenge has no passkey to assert with.
    expectProblem(
      await post("/t/bound/v1/mfa/passkeys/authentication/options", { mfa_token: mfaToken }),
      409,
      "no_second_factor",
    );
    const options = await post("/t/bound/v1/mfa/enroll/passkey/options", { mfa_token: mfaToken });
    expect(options.status, options.text).toBe(200);
    expect(options.json).toMatchObject({ rp: { id: new URL(TEST_PUBLIC_URL).hostname }, user: { name: email } });
    const authenticator = await SoftAuthenticator.create({ synced: true });
    const response = await authenticator.register(options.json as never, { origin: TEST_PUBLIC_URL });
    const done = await post("/t/bound/v1/mfa/enroll/passkey", { mfa_token: mfaToken, response, name: "Phone" });
    expect(done.status, done.text).toBe(200);
    expect(done.json.recovery_codes).toHaveLength(10);
    expect(decode(done.json.access_token as string).claims).toMatchObject({ sub: userId, amr: ["pwd", "swk", "mfa"] });
    const stored = await db.query("SELECT name FROM passkeys WHERE user_id = $1 AND deleted_at IS NULL", [userId]);
    expect(stored.rows).toEqual([{ name: "Phone" }]);
    // Spent: the same registration again is refused at the token.
    expectProblem(
      await post("/t/bound/v1/mfa/enroll/passkey", { mfa_token: mfaToken, response }),
      401,
      "invalid_mfa_token",
    );
    const next = await readAnswer(await api.login("bound", email));
    expect(next.json).toMatchObject({ mfa_required: true, factors: ["passkey", "recovery_code"] });
  });

  it("a registration that does not verify costs an attempt and leaves no passkey", async () => {
    const { email, userId } = await boundSignup();
    const mfaToken = await enrollmentChallenge("bound", email);
    const options = await post("/t/bound/v1/mfa/enroll/passkey/options", { mfa_token: mfaToken });
    const authenticator = await SoftAuthenticator.create();
    const wrongOrigin = await authenticator.register(options.json as never, { origin: "https://evil.example" });
    const refused = await post("/t/bound/v1/mfa/enroll/passkey", { mfa_token: mfaToken, response: wrongOrigin });
    expectProblem(refused, 400, "invalid_passkey");
    expect((await db.query("SELECT 1 FROM passkeys WHERE user_id = $1 AND deleted_at IS NULL", [userId])).rows).toEqual(
      [],
    );
    // The challenge lives on with one attempt spent: a good registration still finishes it.
    const again = await post("/t/bound/v1/mfa/enroll/passkey/options", { mfa_token: mfaToken });
    const good = await authenticator.register(again.json as never, { origin: TEST_PUBLIC_URL });
    const done = await post("/t/bound/v1/mfa/enroll/passkey", { mfa_token: mfaToken, response: good });
    expect(done.status, done.text).toBe(200);
  });
});

describe("attacks on enrollment", () => {
  it("a challenge of a user who has a factor cannot enroll another (a password thief's own factor)", async () => {
    const { email, userId, secret } = await enrolled();
    const challenge = await readAnswer(await api.login("bound", email));
    const mfaToken = challenge.json.mfa_token as string;
    expect(challenge.json).toMatchObject({ factors: ["totp", "recovery_code"] });
    const refusedTotp = await post("/t/bound/v1/mfa/enroll/totp", { mfa_token: mfaToken });
    expectProblem(refusedTotp, 403, "mfa_enrollment_not_allowed");
    expectProblem(
      await post("/t/bound/v1/mfa/enroll/passkey/options", { mfa_token: mfaToken }),
      403,
      "mfa_enrollment_not_allowed",
    );
    const authenticator = await SoftAuthenticator.create();
    const forged = await authenticator.register(
      { challenge: "AAAA", rp: { id: new URL(TEST_PUBLIC_URL).hostname }, user: { id: "eA" } },
      { origin: TEST_PUBLIC_URL },
    );
    const refusedPasskey = await post("/t/bound/v1/mfa/enroll/passkey", { mfa_token: mfaToken, response: forged });
    expectProblem(refusedPasskey, 403, "mfa_enrollment_not_allowed");
    // Nothing was added, and the challenge is untouched: the owner still finishes it with the factor.
    const totpRows = await db.query(
      "SELECT count(*)::int AS n FROM mfa_totp WHERE user_id = $1 AND deleted_at IS NULL",
      [userId],
    );
    expect(totpRows.rows[0].n).toBe(1);
    expect((await db.query("SELECT 1 FROM passkeys WHERE user_id = $1 AND deleted_at IS NULL", [userId])).rows).toEqual(
      [],
    );
    const done = await verify("bound", { mfa_token: mfaToken, type: "totp", code: code(secret) });
    expect(done.status, done.text).toBe(200);
    expect(done.json).not.toHaveProperty("recovery_codes");
    // The tries are in the audit trail.
    const refusals = async () =>
      (
        await db.query("SELECT count(*)::int AS n FROM audit_events WHERE target_id = $1 AND action = $2", [
          userId,
          "mfa.enrollment_refused",
        ])
      ).rows[0].n;
    await expect.poll(refusals).toBe(3);
  });

  it("an enrollment challenge whose user meanwhile enrolled elsewhere cannot add a second factor", async () => {
    const { email } = await boundSignup();
    const thief = await enrollmentChallenge("bound", email);
    const owner = await enrollmentChallenge("bound", email);
    const started = await startTotp("bound", thief);
    const ownerTotp = await startTotp("bound", owner);
    expect((await verify("bound", { mfa_token: owner, type: "totp", code: code(ownerTotp.secret) })).status).toBe(200);
    // The thief's authenticator was abandoned by the owner's; and no challenge of this user enrolls any more.
    expectProblem(await post("/t/bound/v1/mfa/enroll/totp", { mfa_token: thief }), 403, "mfa_enrollment_not_allowed");
    expectProblem(
      await verify("bound", { mfa_token: thief, type: "totp", code: code(started.secret) }),
      403,
      "mfa_enrollment_not_allowed",
    );
  });

  it("refuses an expired or forged enrollment token", async () => {
    const { email } = await boundSignup();
    const mfaToken = await enrollmentChallenge("bound", email);
    const { secret } = await startTotp("bound", mfaToken);
    clock.advance(300_001);
    expectProblem(await post("/t/bound/v1/mfa/enroll/totp", { mfa_token: mfaToken }), 401, "invalid_mfa_token");
    expectProblem(
      await post("/t/bound/v1/mfa/enroll/passkey/options", { mfa_token: mfaToken }),
      401,
      "invalid_mfa_token",
    );
    expectProblem(
      await verify("bound", { mfa_token: mfaToken, type: "totp", code: code(secret) }),
      401,
      "invalid_mfa_token",
    );
    expectProblem(await post("/t/bound/v1/mfa/enroll/totp", { mfa_token: "A".repeat(43) }), 401, "invalid_mfa_token");
    // Another tenant's lookup misses the token.
    const other = await enrollmentChallenge("bound", email);
    expectProblem(await post("/t/admins/v1/mfa/enroll/totp", { mfa_token: other }), 401, "invalid_mfa_token");
  });

  it("wrong first codes cost attempts (the fifth kills the challenge) and count against the account's throttle", async () => {
    const { email } = await boundSignup();
    const mfaToken = await enrollmentChallenge("bound", email);
    const { secret } = await startTotp("bound", mfaToken);
    const wrong = code(secret) === "000000" ? "111111" : "000000";
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++)
      statuses.push((await verify("bound", { mfa_token: mfaToken, type: "totp", code: wrong })).status);
    expect(statuses).toEqual([400, 400, 400, 400, 400, 401]);
    // A new login's enrollment waits (429) before any check, and survives the wait.
    const next = await enrollmentChallenge("bound", email);
    const again = await startTotp("bound", next);
    expectProblem(
      await verify("bound", { mfa_token: next, type: "totp", code: code(again.secret) }),
      429,
      "rate_limited",
    );
    clock.advance(2_000);
    const done = await verify("bound", { mfa_token: next, type: "totp", code: code(again.secret) });
    expect(done.status, done.text).toBe(200);
  });
});
