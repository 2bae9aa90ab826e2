/**
 * The tenant's MFA policy at the step-up, on real Postgres and Redis: a
 * session that completed no second factor, of a user the policy binds who
 * has none (bound since the session began: made an admin, or the policy
 * set), can neither mint an admin key nor change the password or email, as
 * it could no longer refresh; it may still add the factor the policy asks
 * for. Admins who met the policy (a second factor, or a policy that does not
 * bind them) still mint admin keys.
 */
import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { totpCode, totpStep } from "../../src/core/mfa/totp.js";
import { appClient, JSON_HEADERS, type TokenBody } from "../support/accounts.js";
import { startTestApp, TEST_ADMIN_KEY, type TestApp } from "../support/app.js";
import { pinnedClock } from "../support/key-ring.js";
import { basicAuth, oauthFixtures, REDIRECT_URI, tokenRequest } from "../support/oidc.js";
import { expectProblem, readAnswer } from "../support/problem.js";

const clock = pinnedClock(Date.UTC(2026, 10, 4, 9));
let t: TestApp;
let api: ReturnType<typeof appClient>;
let n = 0;

const ADMIN = { ...JSON_HEADERS, Authorization: `Bearer ${TEST_ADMIN_KEY}` };
const bearer = (token: string) => ({ ...JSON_HEADERS, Authorization: `Bearer ${token}` });

beforeAll(async () => {
  t = await startTestApp({ clock });
  api = appClient(t);
  for (const slug of ["promoted", "apps", "switched", "fresh"]) await api.createTenant(slug);
});
afterAll(async () => {
  await t.close();
});

async function setPolicy(tenant: string, policy: string) {
  const response = await t.app.request(`/t/${tenant}/v1/admin/mfa-policy`, {
    method: "PUT",
    headers: ADMIN,
    body: JSON.stringify({ policy }),
  });
  expect(response.status).toBe(200);
}

async function signup(tenant: string): Promise<TokenBody & { user: { id: string }; email: string }> {
  const email = `s${++n}@example.com`;
  const answer = await readAnswer(await api.signup(tenant, email));
  expect(answer.status, answer.text).toBe(201);
  return { ...(answer.json as unknown as TokenBody & { user: { id: string } }), email };
}

async function makeAdmin(tenant: string, userId: string) {
  const response = await t.app.request(`/t/${tenant}/v1/admin/users/${userId}`, {
    method: "PATCH",
    headers: ADMIN,
    body: JSON.stringify({ scopes: ["admin"] }),
  });
  expect(response.status).toBe(200);
}

const createKey = async (tenant: string, token: string, scopes: string[]) =>
  readAnswer(
    await t.app.request(`/t/${tenant}/v1/api-keys`, {
      method: "POST",
      headers: bearer(token),
      body: JSON.stringify({ name: "k", scopes }),
    }),
  );

/** Whether the key opens the tenant's admin routes. */
const opensAdmin = async (tenant: string, key: string) =>
  (await t.app.request(`/t/${tenant}/v1/admin/mfa-policy`, { headers: bearer(key) })).status === 200;

describe("a session the policy came to bind, without a second factor", () => {
  it("required_for_admins, user made an admin after login: no admin key, no password or email change", async () => {
    await setPolicy("promoted", "required_for_admins");
    const user = await signup("promoted");
    expect(decodeJwt(user.access_token)).toMatchObject({ amr: ["pwd"], scope: "openid profile email" });
    await makeAdmin("promoted", user.user.id);

    expectProblem(await createKey("promoted", user.access_token, ["admin"]), 403, "step_up_required");
    expectProblem(await createKey("promoted", user.access_token, ["tokens:introspect"]), 403, "step_up_required");
    const password = await api.changePassword(
      "promoted",
      user.access_token,
      "correct horse battery staple",
      "x".repeat(20),
    );
    expectProblem(await readAnswer(password), 403, "step_up_required");
    const email = await api.changeEmail("promoted", user.access_token, `moved${n}@example.com`);
    expectProblem(await readAnswer(email), 403, "step_up_required");
    // Adding the factor the policy asks for is not held back.
    const totp = await t.app.request("/t/promoted/v1/mfa/totp", { method: "POST", headers: bearer(user.access_token) });
    expect(totp.status).toBe(201);
    // As the refresh already was.
    expectProblem(await readAnswer(await api.refresh("promoted", user.refresh_token)), 401, "invalid_grant");
  });

  it("through a first-party client: a token granted no admin mints no admin key", async () => {
    await setPolicy("apps", "required_for_admins");
    const fx = oauthFixtures(t, "apps");
    const app = await fx.register({ type: "confidential", first_party: true });
    const login = await fx.login();
    const authTime = Math.floor(clock.now().getTime() / 1000);
    const { code, verifier } = await fx.code({ clientId: app.client_id, ...login, authTime });
    const asApp = (form: Record<string, string>) => tokenRequest(t, "apps", form, { Authorization: basicAuth(app) });
    const first = await asApp({
      grant_type: "authorization_code",
      code,
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
    });
    expect(first.status).toBe(200);
    await makeAdmin("apps", login.userId);
    // The grant holds no admin, so the policy leaves the session to refresh.
    const refresh = { grant_type: "refresh_token", refresh_token: ((await first.json()) as TokenBody).refresh_token };
    const refreshed = await asApp(refresh);
    expect(refreshed.status).toBe(200);
    const tokens = (await refreshed.json()) as TokenBody & { scope: string };
    expect(tokens.scope).toBe("openid email profile");

    const refused = await createKey("apps", tokens.access_token, ["admin"]);
    expectProblem(refused, 403, "step_up_required");
  });

  it("a policy made required after an admin's password-only login", async () => {
    const user = await signup("switched");
    await makeAdmin("switched", user.user.id);
    const login = await readAnswer(await api.login("switched", user.email));
    const token = login.json.access_token as string;
    // Optional: an admin without a factor mints admin keys.
    const made = await createKey("switched", token, ["admin"]);
    expect(made.status, made.text).toBe(201);
    expect(await opensAdmin("switched", made.json.key as string)).toBe(true);

    await setPolicy("switched", "required");
    expectProblem(await createKey("switched", token, ["admin"]), 403, "step_up_required");
    // A key without admin or service scopes needs no step-up.
    expect((await createKey("switched", token, ["openid"])).status).toBe(201);
  });
});

describe("admins who met the policy", () => {
  it("mint admin and service keys after a login that enrolled their second factor", async () => {
    await setPolicy("fresh", "required_for_admins");
    const user = await signup("fresh");
    await makeAdmin("fresh", user.user.id);
    const challenge = await readAnswer(await api.login("fresh", user.email));
    expect(challenge.json).toMatchObject({ mfa_required: true, enrollment_required: true });
    const mfaToken = challenge.json.mfa_token as string;
    const post = (path: string, body: unknown) =>
      t.app.request(`/t/fresh/v1${path}`, { method: "POST", headers: JSON_HEADERS, body: JSON.stringify(body) });
    const enrollment = (await (await post("/mfa/enroll/totp", { mfa_token: mfaToken })).json()) as { secret: string };
    const secret = decodeBase32IgnorePadding(enrollment.secret);
    const code = totpCode(secret, totpStep(clock.now()));
    const verified = await readAnswer(await post("/mfa/verify", { mfa_token: mfaToken, type: "totp", code }));
    expect(verified.status, verified.text).toBe(200);
    const token = verified.json.access_token as string;
    expect(decodeJwt(token)).toMatchObject({ amr: ["pwd", "otp", "mfa"], scope: "openid profile email admin" });

    const made = await createKey("fresh", token, ["admin"]);
    expect(made.status, made.text).toBe(201);
    expect(await opensAdmin("fresh", made.json.key as string)).toBe(true);
    expect((await createKey("fresh", token, ["tokens:introspect", "api_keys:verify"])).status).toBe(201);
  });
});

it("reads the caller once when the step-up and the route both need them (one user read a request)", async () => {
  const user = await signup("fresh");
  const users = t.deps.db.users;
  const findUser = users.findById.bind(users);
  let reads = 0;
  users.findById = (...args) => {
    reads++;
    return findUser(...args);
  };
  try {
    const enrolled = await t.app.request("/t/fresh/v1/mfa/totp", {
      method: "POST",
      headers: bearer(user.access_token),
    });
    expect(enrolled.status, await enrolled.clone().text()).toBe(201);
    expect(reads).toBe(1);
    // A user gone since the token was issued is still 404, through the one read.
    users.findById = async (...args) => {
      reads++;
      return (await findUser(...args)) && null;
    };
    reads = 0;
    const gone = await readAnswer(
      await t.app.request("/t/fresh/v1/mfa/totp", { method: "POST", headers: bearer(user.access_token) }),
    );
    expectProblem(gone, 404, "not_found");
    expect(reads).toBe(1);
  } finally {
    users.findById = findUser;
  }
});
