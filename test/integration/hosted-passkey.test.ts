/**
 * Passwordless login with a passkey on the hosted login page, on real
 * Postgres and Redis with a software authenticator: the page's script and
 * its policy, then what the script posts to /login/passkey: a valid assertion
 * starts the provider session and the authorization request ends at the
 * client with amr hwk/swk; a forged CSRF token, a wrong assertion or a spent
 * challenge get no session.
 */
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appClient, JSON_HEADERS, type TokenBody } from "../support/accounts.js";
import { startTestApp, TEST_PUBLIC_URL, type TestApp } from "../support/app.js";
import { formsOf, pkce, registerClient, TestBrowser } from "../support/hosted.js";
import { SoftAuthenticator } from "../support/soft-authenticator.js";

const PORTAL = "https://portal.example/cb";
const ORIGIN = TEST_PUBLIC_URL;
const SSO = "__Host-sso-hpk";

let t: TestApp;
let api: ReturnType<typeof appClient>;
let clientId: string;
let n = 0;

beforeAll(async () => {
  t = await startTestApp();
  api = appClient(t);
  await api.createTenant("hpk");
  clientId = (
    await registerClient(t.app.request.bind(t.app), "hpk", {
      name: "Portal",
      redirect_uris: [PORTAL],
      first_party: true,
    })
  ).client_id;
});
afterAll(async () => {
  await t.close();
});

const { verifier, challenge } = pkce();
const newBrowser = () => new TestBrowser(t.app.request.bind(t.app));
const post = (path: string, body: unknown, headers: Record<string, string>) =>
  t.app.request(path, { method: "POST", headers, body: JSON.stringify(body) });

/** A new user with a passkey on `authenticator` (registered through the JSON API). */
async function userWithPasskey(authenticator: SoftAuthenticator): Promise<string> {
  const signup = await api.signup("hpk", `p${++n}@example.com`);
  const user = (await signup.json()) as TokenBody & { user: { id: string } };
  const bearer = { ...JSON_HEADERS, Authorization: `Bearer ${user.access_token}` };
  const answer = await post("/t/hpk/v1/mfa/passkeys/registration/options", undefined, bearer);
  const options = (await answer.json()) as Parameters<SoftAuthenticator["register"]>[0];
  const registered = await post(
    "/t/hpk/v1/mfa/passkeys/registration",
    { response: await authenticator.register(options, { origin: ORIGIN }) },
    bearer,
  );
  expect(registered.status, await registered.clone().text()).toBe(201);
  return user.user.id;
}

/** Opens the login page of a new authorization request; resolves its HTML. */
async function loginPage(browser: TestBrowser) {
  const authorize = `/t/hpk/authorize?${new URLSearchParams({
    response_type: "code",
    client_id: clientId,
    redirect_uri: PORTAL,
    scope: "openid",
    state: "st",
    nonce: "nc",
    code_challenge: challenge,
    code_challenge_method: "S256",
  })}`;
  const page = await browser.follow(await browser.get(authorize), ORIGIN);
  expect(page.status).toBe(200);
  return { response: page, html: await page.text() };
}

/** What the page's script does: options from the JSON route, the authenticator's assertion, the passkey form. */
async function signInWith(browser: TestBrowser, html: string, authenticator: SoftAuthenticator, changes = {}) {
  const started = (await (
    await t.app.request("/t/hpk/v1/passkeys/authentication/options", { method: "POST" })
  ).json()) as {
    challenge_id: string;
    options: { challenge: string; rpId: string };
  };
  const assertion = await authenticator.assert(started.options, { origin: ORIGIN });
  const form = formsOf(html).find((f) => f.action === "/t/hpk/login/passkey");
  expect(form).toBeDefined();
  return browser.post(form?.action ?? "", {
    ...form?.fields,
    challenge_id: started.challenge_id,
    credential: JSON.stringify(assertion),
    ...changes,
  });
}

async function idTokenOf(response: Response) {
  expect(response.status, await response.clone().text()).toBe(303);
  const location = new URL(response.headers.get("location") ?? "");
  expect(`${location.origin}${location.pathname}`).toBe(PORTAL);
  expect(location.searchParams.get("state")).toBe("st");
  const token = await t.app.request("/t/hpk/oauth2/token", {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code: location.searchParams.get("code") ?? "",
      redirect_uri: PORTAL,
      code_verifier: verifier,
      client_id: clientId,
    }).toString(),
  });
  expect(token.status, await token.clone().text()).toBe(200);
  return decodeJwt(((await token.json()) as { id_token: string }).id_token);
}

describe("hosted passkey login", () => {
  it("puts a hidden passkey button and the app's script (by nonce, no unsafe-inline) on the login page", async () => {
    const { response, html } = await loginPage(newBrowser());
    const csp = response.headers.get("content-security-policy") ?? "";
    const nonce = /script-src 'nonce-([A-Za-z0-9_-]{22})'/.exec(csp)?.[1];
    expect(nonce).toBeDefined();
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).not.toMatch(/script-src[^;]*'self'/);
    expect(html).toMatch(/<button type="button" id="passkey-login" class="secondary" hidden=""/);
    expect(html).toContain('data-options="/t/hpk/v1/passkeys/authentication/options"');
    const form = formsOf(html).find((f) => f.action === "/t/hpk/login/passkey");
    expect(Object.keys(form?.fields ?? {}).sort()).toEqual(["challenge_id", "credential", "csrf", "request"]);
    const src = new RegExp(`<script src="(/assets/passkey\\.js\\?v=[0-9a-f]{8})" nonce="${nonce}"`).exec(html)?.[1];
    expect(src).toBeDefined();
    const script = await t.app.request(src ?? "");
    expect(script.status).toBe(200);
    expect(script.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(script.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(await script.text()).toContain("navigator.credentials.get");
    const again = await t.app.request(src ?? "", { headers: { "If-None-Match": script.headers.get("etag") ?? "" } });
    expect(again.status).toBe(304);
  });

  it("a device-bound passkey with user verification: provider session, code at the client, amr hwk+mfa", async () => {
    const authenticator = await SoftAuthenticator.create();
    const userId = await userWithPasskey(authenticator);
    const browser = newBrowser();
    const { html } = await loginPage(browser);
    const answer = await signInWith(browser, html, authenticator);
    expect(browser.cookies.has(SSO)).toBe(true);
    const idToken = await idTokenOf(answer);
    expect(idToken).toMatchObject({ sub: userId, amr: ["hwk", "mfa"], nonce: "nc" });
  });

  it("a synced passkey without user verification: amr swk alone", async () => {
    const authenticator = await SoftAuthenticator.create({ synced: true, userVerified: false });
    await userWithPasskey(authenticator);
    const browser = newBrowser();
    const { html } = await loginPage(browser);
    expect((await idTokenOf(await signInWith(browser, html, authenticator))).amr).toEqual(["swk"]);
  });

  it("refuses a forged CSRF token, another key's or an unparsable assertion, a spent challenge: no session", async () => {
    const authenticator = await SoftAuthenticator.create();
    await userWithPasskey(authenticator);
    const browser = newBrowser();
    const { html } = await loginPage(browser);

    expect((await signInWith(browser, html, authenticator, { csrf: "forged" })).status).toBe(403);
    expect((await signInWith(newBrowser(), html, authenticator)).status).toBe(403);

    const stranger = await SoftAuthenticator.create();
    const unknown = await signInWith(browser, html, stranger);
    expect(unknown.status).toBe(401);
    const page = await unknown.text();
    expect(page).toContain("Signing in with a passkey did not work.");
    expect(formsOf(page).some((f) => f.action === "/t/hpk/login/passkey")).toBe(true);

    for (const credential of ["", "{not json", JSON.stringify({ id: "x", type: "public-key" })]) {
      expect((await signInWith(browser, html, authenticator, { credential })).status).toBe(400);
    }
    expect((await signInWith(browser, html, authenticator, { challenge_id: "" })).status).toBe(400);
    expect((await signInWith(browser, html, authenticator, { challenge_id: "spent-or-unknown" })).status).toBe(401);
    expect(browser.cookies.has(SSO)).toBe(false);

    // The same page still works with a fresh challenge.
    expect((await idTokenOf(await signInWith(browser, html, authenticator))).amr).toEqual(["hwk", "mfa"]);
  });
});
