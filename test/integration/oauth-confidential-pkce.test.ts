/**
 * PKCE by client type, through the hosted pages on real Postgres and Redis:
 * required of public clients, optional for confidential ones (they
 * authenticate at the token endpoint; OpenID certification's Basic OP plan
 * sends no PKCE), and never half-used: a verifier for a code issued without a
 * challenge is refused (RFC 9700 §2.1.1, PKCE downgrade).
 */
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appClient, GOOD_PASSWORD } from "../support/accounts.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { FORM_HEADERS, pkce, registerClient, TestBrowser } from "../support/hosted.js";

const WEB = "https://web.example.com/cb";
const ORIGIN = "http://localhost";
const EMAIL = "pkce@example.com";

let t: TestApp;
let web: { client_id: string; client_secret?: string };
let spa: string;

beforeAll(async () => {
  t = await startTestApp();
  await appClient(t).createTenant("pkce");
  const request = t.app.request.bind(t.app);
  web = await registerClient(request, "pkce", {
    name: "Web",
    type: "confidential",
    redirect_uris: [WEB],
    first_party: true,
  });
  spa = (await registerClient(request, "pkce", { name: "SPA", redirect_uris: [WEB], first_party: true })).client_id;
  expect((await appClient(t).signup("pkce", EMAIL)).status).toBe(201);
});
afterAll(async () => {
  await t.close();
});

/** The authorization endpoint's answer to `query` for a browser that signs in when asked. */
async function authorize(browser: TestBrowser, query: Record<string, string>): Promise<URL> {
  let answer = await browser.get(`/t/pkce/authorize?${new URLSearchParams({ response_type: "code", ...query })}`);
  if (answer.headers.get("location")?.startsWith("/t/pkce/login")) {
    const login = await browser.follow(answer, ORIGIN);
    answer = await browser.submit(await login.text(), { email: EMAIL, password: GOOD_PASSWORD });
  }
  return new URL(answer.headers.get("location") ?? "", ORIGIN);
}

const redeem = (code: string, extra: Record<string, string> = {}) =>
  t.app.request("/t/pkce/oauth2/token", {
    method: "POST",
    headers: {
      ...FORM_HEADERS,
      Authorization: `Basic ${btoa(`${web.client_id}:${web.client_secret}`)}`,
    },
    body: new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: WEB, ...extra }).toString(),
  });

describe("PKCE by client type", () => {
  it("serves a confidential client without PKCE, and refuses a verifier for a code issued without a challenge", async () => {
    const browser = new TestBrowser(t.app.request.bind(t.app));
    const query = { client_id: web.client_id, redirect_uri: WEB, scope: "openid email", state: "s1", nonce: "n1" };
    const first = await authorize(browser, query);
    expect(first.origin + first.pathname).toBe(WEB);
    const tokens = await redeem(first.searchParams.get("code") ?? "");
    expect(tokens.status, await tokens.clone().text()).toBe(200);
    const { id_token } = (await tokens.json()) as { id_token: string };
    expect(decodeJwt(id_token)).toMatchObject({ aud: web.client_id, nonce: "n1" });

    // Signed in now: the next code comes at once. A verifier the request never committed to is a downgrade.
    const second = await authorize(browser, query);
    const downgraded = await redeem(second.searchParams.get("code") ?? "", { code_verifier: pkce().verifier });
    expect(downgraded.status).toBe(400);
    expect(await downgraded.json()).toMatchObject({ error: "invalid_grant" });

    // With a challenge, the verifier is required as for any client.
    const { verifier, challenge } = pkce();
    const bound = await authorize(browser, { ...query, code_challenge: challenge, code_challenge_method: "S256" });
    const withoutVerifier = await redeem(bound.searchParams.get("code") ?? "");
    expect(withoutVerifier.status).toBe(400);
    const again = await authorize(browser, { ...query, code_challenge: challenge, code_challenge_method: "S256" });
    expect((await redeem(again.searchParams.get("code") ?? "", { code_verifier: verifier })).status).toBe(200);
  });

  it("requires PKCE of a public client", async () => {
    const browser = new TestBrowser(t.app.request.bind(t.app));
    const answer = await authorize(browser, { client_id: spa, redirect_uri: WEB, scope: "openid", state: "s2" });
    expect(Object.fromEntries(answer.searchParams)).toMatchObject({ error: "invalid_request", state: "s2" });
    expect(answer.searchParams.get("error_description")).toMatch(/code_challenge is required/);
  });
});
