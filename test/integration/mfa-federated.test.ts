/**
 * The second step after federated logins (issue 20), through the whole app
 * on real Postgres and Redis: an OIDC provider and a SAML IdP vouch for a
 * user, the one-time code is exchanged, and a user with a factor (or one a
 * required policy binds) gets the challenge instead of tokens; verifying
 * keeps the upstream's amr. `federated_logins: trust_upstream` skips both.
 */
import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { totpCode, totpStep } from "../../src/core/mfa/totp.js";
import { appClient, decode, JSON_HEADERS } from "../support/accounts.js";
import { startTestApp, TEST_ADMIN_KEY, type TestApp } from "../support/app.js";
import { type FakeOidc, startFakeOidc } from "../support/fake-oidc.js";
import { type Answer, expectProblem, readAnswer } from "../support/problem.js";
import { createSamlIdp, type SamlIdp } from "../support/saml-idp.js";

const TENANT = "fedmfa";
const APP = "https://app.example.com/callback";
const admin = { Authorization: `Bearer ${TEST_ADMIN_KEY}`, ...JSON_HEADERS };
let t: TestApp;
let api: ReturnType<typeof appClient>;
let oidc: FakeOidc;
let saml: SamlIdp;
let db: pg.Client;
let n = 0;

const put = async (path: string, body: unknown) => {
  const response = await t.app.request(`/t/${TENANT}/v1/admin/${path}`, {
    method: "PUT",
    headers: admin,
    body: JSON.stringify(body),
  });
  expect(response.status, await response.clone().text()).toBe(200);
};
const setPolicy = (policy: string, federated_logins?: string) =>
  put("mfa-policy", { policy, ...(federated_logins ? { federated_logins } : {}) });

beforeAll(async () => {
  t = await startTestApp();
  api = appClient(t);
  oidc = await startFakeOidc("client-1", "secret-1");
  saml = createSamlIdp({ entityId: "https://idp.test/metadata", ssoUrl: "https://idp.test/sso" });
  await api.createTenant(TENANT);
  expect((await api.redirectUris(TENANT, [APP])).status).toBe(200);
  await put("oauth-providers/idp", { client_id: "client-1", client_secret: "secret-1", issuer: oidc.issuer });
  await put("saml-connections/acme", { idp_metadata_xml: saml.metadataXml, trust_email: true });
  db = new pg.Client({ connectionString: t.database.url });
  await db.connect();
});
afterAll(async () => {
  await Promise.allSettled([oidc?.close(), db?.end()]);
  await t?.close();
});

/** authorize -> the provider logs `sub` in -> callback; resolves the one-time code sent to the app. */
async function oauthCode(sub: string): Promise<string> {
  oidc.state.misbehave = "none";
  oidc.state.nextUser = { sub, email: `${sub}@idp.example`, email_verified: true, name: sub };
  const start = await t.app.request(
    `/t/${TENANT}/v1/oauth/idp/authorize?${new URLSearchParams({ redirect_uri: APP })}`,
  );
  expect(start.status, await start.clone().text()).toBe(302);
  const atProvider = await fetch(start.headers.get("location") ?? "", { redirect: "manual" });
  const callback = new URL(atProvider.headers.get("location") ?? "");
  const back = await t.app.request(callback.pathname + callback.search);
  expect(back.status).toBe(302);
  return new URL(back.headers.get("location") ?? "").searchParams.get("code") ?? "";
}

/** login -> the IdP answers for `nameId` -> ACS; resolves the one-time code sent to the app. */
async function samlCode(nameId: string): Promise<string> {
  const start = await t.app.request(`/t/${TENANT}/v1/saml/acme/login?${new URLSearchParams({ redirect_uri: APP })}`);
  expect(start.status).toBe(302);
  const request = saml.parseAuthnRequest(start.headers.get("location") ?? "");
  const response = await t.app.request(`/t/${TENANT}/v1/saml/acme/acs`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      SAMLResponse: await saml.response({ nameId, respondTo: request }),
      RelayState: request.relayState ?? "",
    }).toString(),
  });
  expect(response.status, await response.clone().text()).toBe(302);
  return new URL(response.headers.get("location") ?? "").searchParams.get("code") ?? "";
}

const post = async (path: string, body: unknown, headers: Record<string, string> = JSON_HEADERS) =>
  readAnswer(await t.app.request(`/t/${TENANT}/v1${path}`, { method: "POST", headers, body: JSON.stringify(body) }));
const exchange = (code: string, cookie?: true) => post("/token/exchange", { code, ...(cookie ? { cookie } : {}) });

/** The answer has no way in: no tokens, no session id, no refresh cookie. */
function nothingGiven(answer: Answer) {
  expect(answer.text).not.toMatch(/access_token|refresh_token|session_id/);
  expect(answer.headers.get("set-cookie")).toBeNull();
}

/** Adds a confirmed authenticator with the bearer of a session; resolves its secret. */
async function addAuthenticator(accessToken: string): Promise<Uint8Array> {
  const bearer = { ...JSON_HEADERS, Authorization: `Bearer ${accessToken}` };
  const started = await post("/mfa/totp", {}, bearer);
  expect(started.status, started.text).toBe(201);
  const secret = decodeBase32IgnorePadding(started.json.secret as string);
  // The previous step's code confirms, so the login's code (this step) is not a replay.
  const code = totpCode(secret, totpStep(new Date()) - 1);
  expect((await post(`/mfa/totp/${started.json.id as string}/confirm`, { code }, bearer)).status).toBe(200);
  return secret;
}

const now = (secret: Uint8Array) => totpCode(secret, totpStep(new Date()));

describe("federated logins go through the second step", () => {
  it("an OAuth user with a factor gets the challenge at the exchange; verifying keeps oauth in amr", async () => {
    const sub = `o${++n}`;
    const first = await exchange(await oauthCode(sub));
    expect(first.status, first.text).toBe(200);
    const secret = await addAuthenticator(first.json.access_token as string);

    const code = await oauthCode(sub);
    const challenge = await exchange(code, true);
    expect(challenge.status, challenge.text).toBe(200);
    expect(challenge.json).toEqual({
      mfa_required: true,
      mfa_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      factors: ["totp", "recovery_code"],
      expires_in: 300,
    });
    nothingGiven(challenge);
    // The code was spent by the exchange that answered the challenge: it buys nothing twice.
    expectProblem(await exchange(code), 400, "invalid_grant");

    const done = await post("/mfa/verify", { mfa_token: challenge.json.mfa_token, type: "totp", code: now(secret) });
    expect(done.status, done.text).toBe(200);
    expect(decode(done.json.access_token as string).claims).toMatchObject({
      amr: ["oauth", "otp", "mfa"],
      acr: "urn:authority:mfa",
    });
    const row = await db.query("SELECT auth_method, amr FROM sessions WHERE id = $1", [done.json.session_id]);
    expect(row.rows[0]).toEqual({ auth_method: "oauth:idp", amr: ["oauth", "otp", "mfa"] });
  });

  it("a SAML user with a factor: the challenge, then a recovery code; amr saml+otp+mfa", async () => {
    const nameId = `s${++n}@corp.example`;
    const first = await exchange(await samlCode(nameId));
    expect(first.status, first.text).toBe(200);
    const bearer = { ...JSON_HEADERS, Authorization: `Bearer ${first.json.access_token as string}` };
    const started = await post("/mfa/totp", {}, bearer);
    const secret = decodeBase32IgnorePadding(started.json.secret as string);
    const confirmed = await post(`/mfa/totp/${started.json.id as string}/confirm`, { code: now(secret) }, bearer);
    const recovery = confirmed.json.recovery_codes as string[];

    const challenge = await exchange(await samlCode(nameId));
    expect(challenge.json).toMatchObject({ mfa_required: true, factors: ["totp", "recovery_code"] });
    nothingGiven(challenge);
    const done = await post("/mfa/verify", {
      mfa_token: challenge.json.mfa_token,
      type: "recovery_code",
      code: recovery[0],
    });
    expect(done.status, done.text).toBe(200);
    expect(decode(done.json.access_token as string).claims).toMatchObject({ amr: ["saml", "otp", "mfa"] });
  });

  it("under a required policy a new federated user enrolls a factor before any token", async () => {
    await setPolicy("required");
    const challenge = await exchange(await oauthCode(`o${++n}`), true);
    expect(challenge.json).toMatchObject({ mfa_required: true, factors: [], enrollment_required: true });
    nothingGiven(challenge);
    const mfaToken = challenge.json.mfa_token as string;
    const started = await post("/mfa/enroll/totp", { mfa_token: mfaToken });
    expect(started.status, started.text).toBe(201);
    const secret = decodeBase32IgnorePadding(started.json.secret as string);
    const done = await post("/mfa/verify", { mfa_token: mfaToken, type: "totp", code: now(secret) });
    expect(done.status, done.text).toBe(200);
    expect(done.json.recovery_codes).toHaveLength(10);
    expect(decode(done.json.access_token as string).claims).toMatchObject({ amr: ["oauth", "otp", "mfa"] });
    await setPolicy("optional");
  });
});

describe("federated_logins: trust_upstream", () => {
  it("skips the factor and the policy's enrollment for federated logins, not for passwords", async () => {
    const sub = `o${++n}`;
    const first = await exchange(await oauthCode(sub));
    await addAuthenticator(first.json.access_token as string);
    await setPolicy("required", "trust_upstream");

    const withFactor = await exchange(await oauthCode(sub));
    expect(withFactor.status, withFactor.text).toBe(200);
    expect(decode(withFactor.json.access_token as string).claims).toMatchObject({ amr: ["oauth"] });
    const newcomer = await exchange(await samlCode(`s${++n}@corp.example`));
    expect(decode(newcomer.json.access_token as string).claims).toMatchObject({ amr: ["saml"] });

    // A password is still no upstream: the policy binds its user.
    const email = `p${++n}@example.com`;
    const signup = await readAnswer(await api.signup(TENANT, email));
    expect(signup.json).toMatchObject({ mfa_required: true, enrollment_required: true });
    await setPolicy("optional");
  });
});
