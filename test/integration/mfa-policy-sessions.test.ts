/**
 * A required MFA policy reaches the sessions made before it, on real
 * Postgres and Redis: a session that completed no second factor ends at its
 * next refresh, a browser's single sign-on asks for a login again, and a
 * passwordless login whose passkey did not verify the user is refused.
 * Sessions that did complete one go on.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appClient, GOOD_PASSWORD, JSON_HEADERS, type TokenBody } from "../support/accounts.js";
import { startTestApp, TEST_ADMIN_KEY, TEST_PUBLIC_URL, type TestApp } from "../support/app.js";
import { pkce, registerClient, TestBrowser } from "../support/hosted.js";
import { expectProblem, readAnswer } from "../support/problem.js";
import { SoftAuthenticator } from "../support/soft-authenticator.js";

let t: TestApp;
let api: ReturnType<typeof appClient>;
let n = 0;

const ADMIN = { ...JSON_HEADERS, Authorization: `Bearer ${TEST_ADMIN_KEY}` };
const bearer = (token: string) => ({ ...JSON_HEADERS, Authorization: `Bearer ${token}` });

beforeAll(async () => {
  t = await startTestApp();
  api = appClient(t);
  for (const slug of ["later", "admins", "passless", "sso"]) await api.createTenant(slug);
});
afterAll(async () => {
  await t.close();
});

const setPolicy = async (tenant: string, policy: string) => {
  const response = await t.app.request(`/t/${tenant}/v1/admin/mfa-policy`, {
    method: "PUT",
    headers: ADMIN,
    body: JSON.stringify({ policy }),
  });
  expect(response.status).toBe(200);
};

async function signup(tenant: string): Promise<TokenBody & { user: { id: string } }> {
  const response = await api.signup(tenant, `p${++n}@example.com`);
  expect(response.status).toBe(201);
  return (await response.json()) as TokenBody & { user: { id: string } };
}

/** A passwordless login with the authenticator: the answer. */
async function passkeyLogin(tenant: string, authenticator: SoftAuthenticator) {
  const started = await t.app.request(`/t/${tenant}/v1/passkeys/authentication/options`, { method: "POST" });
  const { challenge_id, options } = (await started.json()) as {
    challenge_id: string;
    options: { challenge: string; rpId: string };
  };
  const response = await authenticator.assert(options, { origin: TEST_PUBLIC_URL });
  return t.app.request(`/t/${tenant}/v1/passkeys/authentication`, {
    method: "POST",
    headers: JSON_HEADERS,
    body: JSON.stringify({ challenge_id, response }),
  });
}

/** Registers the authenticator as the user's first factor (no step-up: there is none to complete). */
async function registerPasskey(tenant: string, token: string, authenticator: SoftAuthenticator) {
  const options = await t.app.request(`/t/${tenant}/v1/mfa/passkeys/registration/options`, {
    method: "POST",
    headers: bearer(token),
  });
  const made = await authenticator.register(await options.json(), { origin: TEST_PUBLIC_URL });
  const registered = await t.app.request(`/t/${tenant}/v1/mfa/passkeys/registration`, {
    method: "POST",
    headers: bearer(token),
    body: JSON.stringify({ response: made }),
  });
  expect(registered.status, await registered.clone().text()).toBe(201);
}

describe("sessions made before a required policy", () => {
  it("end at their next refresh unless they completed a second factor; their access tokens with them", async () => {
    const plain = await signup("later");
    const verifying = await SoftAuthenticator.create();
    const owner = await signup("later");
    await registerPasskey("later", owner.access_token, verifying);
    const withFactor = (await (await passkeyLogin("later", verifying)).json()) as TokenBody;
    await setPolicy("later", "required");

    expectProblem(await readAnswer(await api.refresh("later", plain.refresh_token)), 401, "invalid_grant");
    const me = await t.app.request("/t/later/v1/me", { headers: bearer(plain.access_token) });
    expectProblem(await readAnswer(me), 401, "token_revoked");
    // Completed with a user-verifying passkey (amr mfa): goes on.
    expect((await api.refresh("later", withFactor.refresh_token)).status).toBe(200);
  });

  it("required_for_admins: a session ends at its first refresh after its user was made an admin", async () => {
    await setPolicy("admins", "required_for_admins");
    const user = await signup("admins");
    const other = await signup("admins");
    const promoted = await t.app.request(`/t/admins/v1/admin/users/${user.user.id}`, {
      method: "PATCH",
      headers: ADMIN,
      body: JSON.stringify({ scopes: ["admin"] }),
    });
    expect(promoted.status).toBe(200);
    expectProblem(await readAnswer(await api.refresh("admins", user.refresh_token)), 401, "invalid_grant");
    expect((await api.refresh("admins", other.refresh_token)).status).toBe(200);
  });

  it("a browser's single sign-on asks for a login again, which then takes the second step", async () => {
    const client = await registerClient(t.app.request.bind(t.app), "sso", {
      name: "App",
      redirect_uris: ["https://app.example/cb"],
      first_party: true,
    });
    const email = `p${++n}@example.com`;
    expect((await api.signup("sso", email)).status).toBe(201);
    const browser = new TestBrowser(t.app.request.bind(t.app));
    const login = await (await browser.get("/t/sso/login")).text();
    expect((await browser.submit(login, { email, password: GOOD_PASSWORD })).status).toBe(303);
    const query = new URLSearchParams({
      response_type: "code",
      client_id: client.client_id,
      redirect_uri: "https://app.example/cb",
      scope: "openid",
      code_challenge: pkce().challenge,
      code_challenge_method: "S256",
    });
    const before = await browser.get(`/t/sso/authorize?${query}`);
    expect(before.headers.get("location")).toMatch(/^https:\/\/app\.example\/cb\?code=/);
    await setPolicy("sso", "required");
    const after = await browser.get(`/t/sso/authorize?${query}`);
    expect(after.headers.get("location")).toMatch(/^\/t\/sso\/login\?request=/);
    const silent = await browser.get(`/t/sso/authorize?${query}&prompt=none`);
    expect(new URL(silent.headers.get("location") ?? "").searchParams.get("error")).toBe("login_required");
  });
});

describe("passwordless login under a required policy", () => {
  it("refuses a passkey that did not verify the user (one factor), and takes one that did", async () => {
    const single = await SoftAuthenticator.create({ userVerified: false });
    const verified = await SoftAuthenticator.create();
    await registerPasskey("passless", (await signup("passless")).access_token, single);
    await registerPasskey("passless", (await signup("passless")).access_token, verified);
    await setPolicy("passless", "required");
    expectProblem(await readAnswer(await passkeyLogin("passless", single)), 403, "mfa_required");
    expect((await passkeyLogin("passless", verified)).status).toBe(200);
  });
});
