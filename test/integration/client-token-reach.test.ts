/**
 * What an OAuth client's access token reaches, on real Postgres and Redis. A
 * third-party client holds the scopes the user consented to: UserInfo and
 * nothing of the account (profile, sessions, API keys, factors, password,
 * email). The tenant's own apps (the JSON API, first-party clients) manage it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appClient, GOOD_PASSWORD, JSON_HEADERS } from "../support/accounts.js";
import { startTestApp, TEST_ADMIN_KEY, type TestApp } from "../support/app.js";
import { FORM_HEADERS, pkce, redeemCode, registerClient, TestBrowser } from "../support/hosted.js";

const APP = "https://app.example.com/callback";
const PORTAL = "https://portal.example/cb";
const ORIGIN = "http://localhost";
const EMAIL = "reach@example.com";

let t: TestApp;
let thirdParty: string;
let firstParty: string;
const { verifier, challenge } = pkce();

beforeAll(async () => {
  t = await startTestApp();
  await appClient(t).createTenant("reach");
  const request = t.app.request.bind(t.app);
  thirdParty = (
    await registerClient(request, "reach", { name: "Printer", redirect_uris: [APP], scopes: ["openid", "email"] })
  ).client_id;
  firstParty = (await registerClient(request, "reach", { name: "Portal", redirect_uris: [PORTAL], first_party: true }))
    .client_id;
  expect((await appClient(t).signup("reach", EMAIL)).status).toBe(201);
});
afterAll(async () => {
  await t.close();
});

/** Signs in through the hosted pages (consenting when asked) and redeems the code: the client's access token. */
async function clientToken(clientId: string, redirectUri: string): Promise<string> {
  const browser = new TestBrowser(t.app.request.bind(t.app));
  const query = new URLSearchParams({
    response_type: "code",
    client_id: clientId,
    redirect_uri: redirectUri,
    scope: "openid email",
    code_challenge: challenge,
    code_challenge_method: "S256",
  });
  const login = await browser.follow(await browser.get(`/t/reach/authorize?${query}`), ORIGIN);
  let answer = await browser.submit(await login.text(), { email: EMAIL, password: GOOD_PASSWORD });
  if (answer.headers.get("location")?.includes("/consent")) {
    const consent = await browser.follow(answer, ORIGIN);
    answer = await browser.submit(await consent.text(), { decision: "allow" });
  }
  const code = new URL(answer.headers.get("location") ?? "", ORIGIN).searchParams.get("code") ?? "";
  const redeemed = await redeemCode(t.app.request.bind(t.app), "reach", { code, clientId, redirectUri, verifier });
  expect(redeemed.status, await redeemed.clone().text()).toBe(200);
  return ((await redeemed.json()) as { access_token: string }).access_token;
}

interface OpenApiDoc {
  paths: Record<string, Record<string, { security?: Record<string, unknown>[] }>>;
}

describe("a third-party client's access token", () => {
  it("is refused with 403 insufficient_scope by every account route, and nothing else that needs a credential takes it", async () => {
    const token = await clientToken(thirdParty, APP);
    const doc = (await (await t.app.request("/openapi.json")).json()) as OpenApiDoc;
    const refused: string[] = [];
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const takesBearer = operation.security?.some((scheme) => "bearer" in scheme);
        if (!takesBearer || !path.startsWith("/t/{tenant}/") || path.endsWith("/v1/userinfo")) continue;
        const url = path.replace("{tenant}", "reach").replace(/\{[a-z_]+\}/g, "00000000-0000-4000-8000-000000000000");
        const response = await t.app.request(url, {
          method: method.toUpperCase(),
          headers: { Authorization: `Bearer ${token}`, ...JSON_HEADERS },
          ...(method === "get" || method === "delete" ? {} : { body: "{}" }),
        });
        const what = `${method.toUpperCase()} ${path}: ${response.status}`;
        expect([401, 403], what).toContain(response.status);
        if (response.status === 403 && ((await response.json()) as { code?: string }).code === "insufficient_scope") {
          expect(response.headers.get("www-authenticate"), what).toMatch(
            /^Bearer realm="[^"]+", error="insufficient_scope"$/,
          );
          refused.push(`${method.toUpperCase()} ${path}`);
        }
      }
    }
    // The account routes: the walk reached each of them, and each refused the token as out of its reach.
    for (const route of [
      "GET /t/{tenant}/v1/me",
      "GET /t/{tenant}/v1/sessions",
      "DELETE /t/{tenant}/v1/sessions/{id}",
      "POST /t/{tenant}/v1/logout",
      "POST /t/{tenant}/v1/api-keys",
      "POST /t/{tenant}/v1/mfa/totp",
      "POST /t/{tenant}/v1/mfa/passkeys/registration/options",
      "POST /t/{tenant}/v1/mfa/passkeys/registration",
      "GET /t/{tenant}/v1/consents",
      "POST /t/{tenant}/v1/password/change",
      "POST /t/{tenant}/v1/email/change",
      "POST /t/{tenant}/v1/email/verification",
    ]) {
      expect(refused).toContain(route);
    }
  });

  it("reaches UserInfo: in the Authorization header, or once in a form body (RFC 6750 §2.2), never both", async () => {
    const token = await clientToken(thirdParty, APP);
    const byHeader = await t.app.request("/t/reach/v1/userinfo", { headers: { Authorization: `Bearer ${token}` } });
    expect(byHeader.status).toBe(200);
    const claims = await byHeader.json();
    expect(claims).toMatchObject({ email: EMAIL, email_verified: false });
    const form = (body: string, headers: Record<string, string> = {}) =>
      t.app.request("/t/reach/v1/userinfo", { method: "POST", headers: { ...FORM_HEADERS, ...headers }, body });
    const byBody = await form(new URLSearchParams({ access_token: token }).toString());
    expect(byBody.status).toBe(200);
    expect(await byBody.json()).toEqual(claims);
    for (const twice of [
      await form(`access_token=${token}&access_token=${token}`),
      await form(`access_token=${token}`, { Authorization: `Bearer ${token}` }),
    ]) {
      expect(twice.status).toBe(400);
      expect(twice.headers.get("www-authenticate")).toContain('error="invalid_request"');
    }
    // A token in the query is not taken (RFC 6750 §2.3 is optional; it leaks into logs).
    const inQuery = await t.app.request(`/t/reach/v1/userinfo?access_token=${token}`);
    expect(inQuery.status).toBe(401);
  });
});

describe("the tenant's own apps", () => {
  it("manage the account with a first-party client's token, until the client is no longer first-party", async () => {
    const token = await clientToken(firstParty, PORTAL);
    const me = await t.app.request("/t/reach/v1/me", { headers: { Authorization: `Bearer ${token}` } });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { email: string }).email).toBe(EMAIL);
    const demoted = await t.app.request(`/t/reach/v1/admin/clients/${firstParty}`, {
      method: "PATCH",
      headers: { Authorization: `Bearer ${TEST_ADMIN_KEY}`, ...JSON_HEADERS },
      body: JSON.stringify({ first_party: false }),
    });
    expect(demoted.status).toBe(200);
    const after = await t.app.request("/t/reach/v1/me", { headers: { Authorization: `Bearer ${token}` } });
    expect(after.status).toBe(403);
  });
});
