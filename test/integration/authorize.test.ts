/**
 * The authorization endpoint on real Postgres and Redis: the validation
 * matrix (an error page with no redirect while client or redirect URI is in
 * doubt, RFC 6749 §4.1.2.1 errors with `iss` and `state` after), prompt and
 * max_age, consent for third-party clients, SSO across clients, and
 * RP-initiated logout.
 */
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appClient, GOOD_PASSWORD } from "../support/accounts.js";
import { startTestApp, TEST_PUBLIC_URL, type TestApp } from "../support/app.js";
import { formsOf, pkce, redeemCode, registerClient, TestBrowser } from "../support/hosted.js";
import { REDIRECT_VARIANTS } from "../support/redirect-variants.js";

const APP = "https://app.example.com/callback";
const NATIVE = "com.example.app:/cb";
const PORTAL = "https://portal.example/cb";
const ISSUER = `${TEST_PUBLIC_URL}/t/authz`;
const ORIGIN = "http://localhost";
const EMAIL = "ada@example.com";

let t: TestApp;
let thirdParty: string;
let firstParty: string;
let userId: string;

beforeAll(async () => {
  t = await startTestApp();
  const api = appClient(t);
  await api.createTenant("authz");
  const request = t.app.request.bind(t.app);
  thirdParty = (
    await registerClient(request, "authz", {
      name: "Photo <Printer>",
      redirect_uris: [APP, NATIVE],
      post_logout_redirect_uris: ["https://app.example.com/bye"],
      scopes: ["openid", "profile", "email"],
    })
  ).client_id;
  firstParty = (await registerClient(request, "authz", { name: "Portal", redirect_uris: [PORTAL], first_party: true }))
    .client_id;
  const signup = await api.signup("authz", EMAIL);
  expect(signup.status).toBe(201);
  userId = ((await signup.json()) as { user: { id: string } }).user.id;
});
afterAll(async () => {
  await t.close();
});

const { verifier, challenge } = pkce();

/** Redeems a code at the token endpoint as a public client would (H2's endpoint). */
async function redeem(code: string, clientId: string, redirectUri: string): Promise<Record<string, unknown>> {
  const response = await redeemCode(t.app.request.bind(t.app), "authz", { code, clientId, redirectUri, verifier });
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

function authorizeQuery(overrides: Record<string, string | null> = {}, clientId = thirdParty): string {
  const params: Record<string, string | null> = {
    response_type: "code",
    client_id: clientId,
    redirect_uri: clientId === firstParty ? PORTAL : APP,
    scope: "openid profile",
    state: "st-1",
    nonce: "n-1",
    code_challenge: challenge,
    code_challenge_method: "S256",
    ...overrides,
  };
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== null) query.append(key, value);
  return query.toString();
}

/** Where a redirect points, with its query as an object. */
function target(response: Response): { base: string; params: Record<string, string> } {
  const url = new URL(response.headers.get("location") ?? "", ORIGIN);
  return { base: url.origin + url.pathname, params: Object.fromEntries(url.searchParams) };
}

/** Signs the browser in through the login form of a pending request; resolves the answer to the submitted form. */
async function signIn(browser: TestBrowser, start: Response, email = EMAIL): Promise<Response> {
  expect(start.status).toBe(302);
  const login = await browser.follow(start, ORIGIN);
  expect(login.status).toBe(200);
  return browser.submit(await login.text(), { email, password: GOOD_PASSWORD });
}

/** A browser signed in at the first-party portal as `email`, and the tokens its code was redeemed for. */
async function portalSession(email = EMAIL) {
  const browser = new TestBrowser(t.app.request.bind(t.app));
  const start = await browser.get(`/t/authz/authorize?${authorizeQuery({}, firstParty)}`);
  const signedIn = await signIn(browser, start, email);
  return { browser, tokens: await redeem(target(signedIn).params.code ?? "", firstParty, PORTAL) };
}

/** The status UserInfo answers an access token with (401 once its session ended). */
const userinfoStatus = async (token: unknown) =>
  (await t.app.request("/t/authz/v1/userinfo", { headers: { Authorization: `Bearer ${String(token)}` } })).status;

describe("client and redirect URI first", () => {
  const cases: [string, Record<string, string | null>][] = [
    ["an unknown client", { client_id: "AAAAAAAAAAAAAAAAAAAAAA" }],
    ["no client", { client_id: null }],
    ["an unregistered redirect URI", { redirect_uri: "https://app.example.com/other" }],
    ["no redirect URI", { redirect_uri: null }],
  ];
  it.each(cases)("%s: an HTML error page, no Location", async (_, overrides) => {
    const response = await t.app.request(`/t/authz/authorize?${authorizeQuery(overrides)}`);
    expect(response.status).toBe(400);
    expect(response.headers.get("location")).toBeNull();
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    expect(response.headers.get("x-frame-options")).toBe("DENY");
    expect(await response.text()).toContain('role="alert"');
  });

  it("refuses a repeated client_id or redirect_uri with a page, not a redirect", async () => {
    for (const name of ["client_id", "redirect_uri"]) {
      const query = `${authorizeQuery()}&${name}=${encodeURIComponent(name === "client_id" ? thirdParty : APP)}`;
      const response = await t.app.request(`/t/authz/authorize?${query}`);
      expect(response.status).toBe(400);
      expect(response.headers.get("location")).toBeNull();
    }
  });

  it.each(REDIRECT_VARIANTS)("refuses redirect_uri %j without redirecting", async (uri) => {
    const response = await t.app.request(`/t/authz/authorize?${authorizeQuery({ redirect_uri: uri })}`);
    expect(response.status).toBe(400);
    expect(response.headers.get("location")).toBeNull();
  });

  it("takes a registered loopback redirect URI on any port, through to the token (RFC 8252 §7.3)", async () => {
    const registered = "http://127.0.0.1/native/cb";
    const { client_id } = await registerClient(t.app.request.bind(t.app), "authz", {
      name: "CLI",
      redirect_uris: [registered],
      first_party: true,
    });
    const browser = new TestBrowser(t.app.request.bind(t.app));
    const listening = "http://127.0.0.1:53211/native/cb";
    const start = await browser.get(`/t/authz/authorize?${authorizeQuery({ redirect_uri: listening }, client_id)}`);
    const back = target(await signIn(browser, start));
    expect(back.base).toBe(listening);
    const tokens = await redeem(back.params.code ?? "", client_id, listening);
    expect(tokens.token_type).toBe("Bearer");
    // Another path, or a host name rather than the IP literal, is another URI.
    for (const other of ["http://127.0.0.1:53211/other", "http://localhost:53211/native/cb"]) {
      const refused = await browser.get(`/t/authz/authorize?${authorizeQuery({ redirect_uri: other }, client_id)}`);
      expect(refused.status, other).toBe(400);
    }
  });

  it("holds a confidential client's loopback redirect URI to its registered port (RFC 9700 §2.1)", async () => {
    const registered = "http://127.0.0.1:8400/web/cb";
    const { client_id } = await registerClient(t.app.request.bind(t.app), "authz", {
      name: "Local web app",
      type: "confidential",
      redirect_uris: [registered],
      first_party: true,
    });
    for (const other of ["http://127.0.0.1:53211/web/cb", "http://127.0.0.1/web/cb"]) {
      const refused = await t.app.request(`/t/authz/authorize?${authorizeQuery({ redirect_uri: other }, client_id)}`);
      expect(refused.status, other).toBe(400);
      expect(refused.headers.get("location"), other).toBeNull();
    }
    const exact = await t.app.request(`/t/authz/authorize?${authorizeQuery({ redirect_uri: registered }, client_id)}`);
    expect(exact.status).toBe(302);
  });

  it("takes a native app's registered private-use scheme", async () => {
    const response = await t.app.request(`/t/authz/authorize?${authorizeQuery({ redirect_uri: NATIVE })}`);
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toMatch(/^\/t\/authz\/login\?request=/);
  });
});

describe("errors at the redirect URI (RFC 6749 §4.1.2.1, RFC 9207)", () => {
  const cases: [string, Record<string, string | null>, string][] = [
    ["response_type token", { response_type: "token" }, "unsupported_response_type"],
    ["no response_type", { response_type: null }, "invalid_request"],
    ["no code_challenge", { code_challenge: null }, "invalid_request"],
    ["code_challenge_method plain", { code_challenge_method: "plain" }, "invalid_request"],
    ["no code_challenge_method", { code_challenge_method: null }, "invalid_request"],
    ["a malformed challenge", { code_challenge: "short" }, "invalid_request"],
    ["no openid scope", { scope: "profile" }, "invalid_scope"],
    ["a malformed scope", { scope: "openid a\\b" }, "invalid_scope"],
    ["an unknown prompt", { prompt: "sometimes" }, "invalid_request"],
    ["prompt=none with login", { prompt: "none login" }, "invalid_request"],
    ["a negative max_age", { max_age: "-1" }, "invalid_request"],
    ["response_mode fragment", { response_mode: "fragment" }, "invalid_request"],
    ["a request object", { request: "eyJ" }, "request_not_supported"],
  ];
  it.each(cases)("%s -> %s", async (_, overrides, error) => {
    const response = await t.app.request(`/t/authz/authorize?${authorizeQuery(overrides)}`);
    expect(response.status).toBe(302);
    const { base, params } = target(response);
    expect(base).toBe(APP);
    expect(params).toMatchObject({ error, state: "st-1", iss: ISSUER });
    expect(params.error_description).toBeTruthy();
    expect(params.code).toBeUndefined();
  });

  it("refuses a repeated parameter with invalid_request", async () => {
    const response = await t.app.request(`/t/authz/authorize?${authorizeQuery()}&scope=openid`);
    expect(target(response).params).toMatchObject({ error: "invalid_request", iss: ISSUER });
  });

  it("treats a parameter sent without a value as omitted (RFC 6749 §3.1)", async () => {
    const empty = { max_age: "", response_mode: "", request: "", request_uri: "", prompt: "none", state: "" };
    const response = await t.app.request(`/t/authz/authorize?${authorizeQuery(empty)}`);
    const { base, params } = target(response);
    expect(base).toBe(APP);
    // login_required, not invalid_request: and no `state=` goes back.
    expect(params).toEqual({ error: "login_required", error_description: expect.any(String), iss: ISSUER });
  });

  it("answers prompt=none without a session with login_required at the redirect URI", async () => {
    const response = await t.app.request(`/t/authz/authorize?${authorizeQuery({ prompt: "none" })}`);
    expect(target(response)).toMatchObject({
      base: APP,
      params: { error: "login_required", state: "st-1", iss: ISSUER },
    });
  });

  it("takes the parameters as a form POST too (OIDC Core §3.1.2.1)", async () => {
    const response = await t.app.request("/t/authz/authorize", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: authorizeQuery({ prompt: "none" }),
    });
    expect(target(response).params).toMatchObject({ error: "login_required", iss: ISSUER });
  });
});

describe("the hosted flow", () => {
  it("login page, consent, code; then SSO into a first-party client without a password", async () => {
    const browser = new TestBrowser(t.app.request.bind(t.app));
    const start = await browser.get(`/t/authz/authorize?${authorizeQuery({ login_hint: EMAIL })}`);
    const login = await browser.follow(start, ORIGIN);
    const loginHtml = await login.text();
    // The login form holds only email, password, csrf and the request's opaque id; the hint pre-fills it.
    const [form] = formsOf(loginHtml);
    expect(Object.keys(form?.fields ?? {}).sort()).toEqual(["csrf", "email", "password", "request"]);
    expect(form?.fields.email).toBe(EMAIL);
    expect(login.headers.get("content-security-policy")).toContain(`form-action 'self' ${APP}`);

    const afterLogin = await browser.submit(loginHtml, { password: GOOD_PASSWORD });
    expect(afterLogin.status).toBe(303);
    expect(afterLogin.headers.get("location")).toMatch(/^\/t\/authz\/consent\?request=/);
    const consent = await browser.follow(afterLogin, ORIGIN);
    const consentHtml = await consent.text();
    expect(consentHtml).toContain("<bdi>Photo &lt;Printer&gt;</bdi> wants to access your account");
    expect(consentHtml).toContain("See your name");

    const allowed = await browser.submit(consentHtml, { decision: "allow" });
    expect(allowed.status).toBe(303);
    const back = target(allowed);
    expect(back.base).toBe(APP);
    expect(back.params).toMatchObject({ state: "st-1", iss: ISSUER });
    expect(back.params.code).toMatch(/^[A-Za-z0-9_-]{43}$/);

    // Consent is remembered: the same request now goes straight back, and prompt=none works.
    const again = await browser.get(`/t/authz/authorize?${authorizeQuery({ prompt: "none" })}`);
    expect(target(again).params.code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // A scope not granted yet needs consent: prompt=none answers consent_required.
    const more = await browser.get(`/t/authz/authorize?${authorizeQuery({ prompt: "none", scope: "openid email" })}`);
    expect(target(more).params).toMatchObject({ error: "consent_required", iss: ISSUER });

    // SSO: a first-party client gets a code at once, no password, no consent.
    const portal = await browser.get(`/t/authz/authorize?${authorizeQuery({}, firstParty)}`);
    expect(portal.status).toBe(302);
    expect(target(portal).base).toBe(PORTAL);
    expect(target(portal).params.code).toMatch(/^[A-Za-z0-9_-]{43}$/);

    // prompt=login and max_age=0 force a fresh login, though the session is live.
    const forcing: Record<string, string>[] = [{ prompt: "login" }, { max_age: "0" }];
    for (const forced of forcing) {
      const fresh = await browser.get(`/t/authz/authorize?${authorizeQuery(forced, firstParty)}`);
      expect(fresh.headers.get("location")).toMatch(/^\/t\/authz\/login\?request=/);
      const relogin = await signIn(browser, fresh);
      expect(target(relogin).params.code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    }
  });

  it("asks again with prompt=consent, and answers access_denied when the user denies", async () => {
    const browser = new TestBrowser(t.app.request.bind(t.app));
    const start = await browser.get(`/t/authz/authorize?${authorizeQuery({ prompt: "consent" })}`);
    const afterLogin = await signIn(browser, start);
    const consent = await browser.follow(afterLogin, ORIGIN);
    const denied = await browser.submit(await consent.text(), { decision: "deny" });
    expect(target(denied)).toMatchObject({ base: APP, params: { error: "access_denied", iss: ISSUER } });
  });

  it("lets a consent page answer only for the user it was shown to: after a switch of user, the new one is asked", async () => {
    const switched = `switch-${crypto.randomUUID()}@example.com`;
    expect((await appClient(t).signup("authz", switched)).status).toBe(201);
    const browser = new TestBrowser(t.app.request.bind(t.app));
    const start = await browser.get(`/t/authz/authorize?${authorizeQuery({ prompt: "consent" })}`);
    const consentHtml = await (await browser.follow(await signIn(browser, start), ORIGIN)).text();
    expect(consentHtml).toContain(EMAIL);
    // Another tab of the same browser signs another user in (a request of its own); then the first tab's Allow arrives.
    const otherTab = await browser.get(`/t/authz/authorize?${authorizeQuery({ prompt: "login" })}`);
    expect((await signIn(browser, otherTab, switched)).status).toBe(303);
    const answered = await browser.submit(consentHtml, { decision: "allow" });
    expect(answered.status).toBe(303);
    expect(answered.headers.get("location")).toMatch(/^\/t\/authz\/consent\?request=/);
    const asked = await (await browser.follow(answered, ORIGIN)).text();
    expect(asked).toContain(switched);
    const allowed = await browser.submit(asked, { decision: "allow" });
    expect(target(allowed).params.code).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("binds a pending request to the browser that started it", async () => {
    const owner = new TestBrowser(t.app.request.bind(t.app));
    const start = await owner.get(`/t/authz/authorize?${authorizeQuery()}`);
    const other = new TestBrowser(t.app.request.bind(t.app));
    const stolen = await other.get(start.headers.get("location") ?? "");
    expect(stolen.status).toBe(400);
    expect(await stolen.text()).toContain("expired");
  });

  it("ends SSO once the provider session is revoked (DELETE /v1/sessions/{id})", async () => {
    const browser = new TestBrowser(t.app.request.bind(t.app));
    await signIn(browser, await browser.get(`/t/authz/authorize?${authorizeQuery({}, firstParty)}`));
    const live = (await t.services.sessions.listLive(await t.services.tenants.require("authz"), userId, null, 100)).map(
      (row) => row.session,
    );
    const provider = live.find((s) => s.clientId === "provider");
    expect(provider).toBeDefined();
    const login = await appClient(t).login("authz", EMAIL);
    const { access_token } = (await login.json()) as { access_token: string };
    const deleted = await appClient(t).deleteSession("authz", access_token, provider?.id ?? "");
    expect(deleted.status).toBe(204);
    const after = await browser.get(`/t/authz/authorize?${authorizeQuery({ prompt: "none" }, firstParty)}`);
    expect(target(after).params).toMatchObject({ error: "login_required" });
  });
});

describe("id_token_hint (OIDC Core §3.1.2.1)", () => {
  it("answers for the hinted user only: login_required with prompt=none when someone else is signed in", async () => {
    const other = `hinted-${crypto.randomUUID()}@example.com`;
    expect((await appClient(t).signup("authz", other)).status).toBe(201);
    const theirHint = String((await portalSession(other)).tokens.id_token);
    const { browser, tokens } = await portalSession();
    const myHint = String(tokens.id_token);
    const silent = (hint: string) =>
      browser.get(`/t/authz/authorize?${authorizeQuery({ prompt: "none", id_token_hint: hint }, firstParty)}`);

    expect(target(await silent(myHint)).params.code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(target(await silent(theirHint)).params).toMatchObject({ error: "login_required" });
    const forged = `${myHint.slice(0, -4)}AAAA`;
    expect(target(await silent(forged)).params).toMatchObject({ error: "invalid_request", state: "st-1" });
    // The same hint written otherwise is no ID token (RFC 7515 §2: unpadded base64url, no whitespace).
    const [header, payload, signature] = myHint.split(".") as [string, string, string];
    const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const spareBit = ALPHABET[ALPHABET.indexOf(signature.at(-1) as string) ^ 1] as string;
    for (const variant of [
      `${myHint}==`,
      `${header}.${payload}.${signature.slice(0, 6)} ${signature.slice(6)}`,
      `${header}.${payload}.${signature.slice(0, 9)}\n${signature.slice(9)}`,
      `${header}.${payload}.${signature.slice(0, 4)}\t${signature.slice(4)}`,
      `${header}.${payload}.${signature.slice(0, -1)}${spareBit}`, // RS256: 342 characters, 4 spare bits
    ]) {
      expect(target(await silent(variant)).params).toMatchObject({ error: "invalid_request", state: "st-1" });
    }
    // Without prompt=none the login page comes: the hinted user signing in there gets a code, anyone else login_required.
    const ask = () => browser.get(`/t/authz/authorize?${authorizeQuery({ id_token_hint: theirHint }, firstParty)}`);
    const asked = await ask();
    expect(target(asked).base).toBe(`${ORIGIN}/t/authz/login`);
    expect(target(await signIn(browser, asked)).params).toMatchObject({ error: "login_required", state: "st-1" });
    expect(target(await signIn(browser, await ask(), other)).params.code).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

describe("RP-initiated logout", () => {
  it("signs out at once with the ID token the code was redeemed for, ending the client session too", async () => {
    const browser = new TestBrowser(t.app.request.bind(t.app));
    const signedIn = await signIn(browser, await browser.get(`/t/authz/authorize?${authorizeQuery({}, firstParty)}`));
    const tokens = await redeem(target(signedIn).params.code ?? "", firstParty, PORTAL);
    const idToken = String(tokens.id_token);
    const claims = decodeJwt(idToken);
    const tenant = await t.services.tenants.require("authz");
    const provider = (await t.services.sessions.listLive(tenant, userId, null, 100))
      .map((row) => row.session)
      .find((s) => s.clientId === "provider");
    expect(claims).toMatchObject({
      aud: firstParty,
      sub: userId,
      nonce: "n-1",
      sid: provider?.id,
      amr: ["pwd"],
      acr: "urn:authority:pwd",
    });
    const child = (await t.services.sessions.listLive(tenant, userId, null, 100))
      .map((row) => row.session)
      .find((s) => s.clientId === firstParty);
    expect(child).toBeDefined();

    const query = new URLSearchParams({ id_token_hint: idToken });
    const out = await browser.get(`/t/authz/logout?${query}`);
    expect(out.status).toBe(200);
    expect(await out.text()).toContain("You are signed out.");
    for (const id of [provider?.id, child?.id]) {
      expect((await t.services.sessions.find(tenant, id ?? ""))?.revokedAt).not.toBeNull();
    }
    // The client's access token stops working at once.
    expect(await userinfoStatus(tokens.access_token)).toBe(401);
  });

  it("keeps the user's other apps signed in across a forced re-login (prompt=login), and a logout still ends them", async () => {
    const browser = new TestBrowser(t.app.request.bind(t.app));
    const first = await signIn(browser, await browser.get(`/t/authz/authorize?${authorizeQuery({}, firstParty)}`));
    const portal = await redeem(target(first).params.code ?? "", firstParty, PORTAL);
    const tenant = await t.services.tenants.require("authz");
    const providerOf = async () =>
      (await t.services.sessions.listLive(tenant, userId, null, 100))
        .map((row) => row.session)
        .filter((s) => s.clientId === "provider")
        .map((s) => s.id);
    const [before] = await providerOf();

    const forced = await browser.get(`/t/authz/authorize?${authorizeQuery({ prompt: "login" }, firstParty)}`);
    const again = await signIn(browser, forced);
    const second = await redeem(target(again).params.code ?? "", firstParty, PORTAL);
    const after = await providerOf();
    expect(after).not.toContain(before);
    // The first app's session lives on: its refresh token still works.
    const refreshed = await t.app.request("/t/authz/oauth2/token", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "refresh_token",
        refresh_token: String(portal.refresh_token),
        client_id: firstParty,
      }).toString(),
    });
    expect(refreshed.status, await refreshed.clone().text()).toBe(200);
    const { access_token: kept } = (await refreshed.json()) as { access_token: string };

    // Logging out with the new ID token ends the new session, the old app session included.
    const out = await browser.get(`/t/authz/logout?${new URLSearchParams({ id_token_hint: String(second.id_token) })}`);
    expect(await out.text()).toContain("You are signed out.");
    expect(await userinfoStatus(kept)).toBe(401);
  });

  it("asks for confirmation without a valid id_token_hint, then signs out and returns to the registered URI", async () => {
    const browser = new TestBrowser(t.app.request.bind(t.app));
    await signIn(browser, await browser.get(`/t/authz/authorize?${authorizeQuery({}, firstParty)}`));
    const query = new URLSearchParams({
      client_id: thirdParty,
      post_logout_redirect_uri: "https://app.example.com/bye",
      state: "bye-1",
      id_token_hint: "not.a.token",
    });
    const ask = await browser.get(`/t/authz/logout?${query}`);
    expect(ask.status).toBe(200);
    const html = await ask.text();
    expect(formsOf(html)[0]?.fields).toMatchObject({ client_id: thirdParty, state: "bye-1" });
    expect(ask.headers.get("content-security-policy")).toContain("https://app.example.com/bye");
    // A wrong CSRF token is refused; none at all is an RP's request by POST, which only asks again.
    const forged = await browser.post("/t/authz/logout", { client_id: thirdParty, csrf: "forged" });
    expect(forged.status).toBe(403);
    const rpPost = await browser.post("/t/authz/logout", { client_id: thirdParty, state: "bye-1" });
    expect(rpPost.status).toBe(200);
    expect(formsOf(await rpPost.text())[0]?.fields).toMatchObject({ client_id: thirdParty, state: "bye-1" });
    const done = await browser.submit(html);
    expect(done.status).toBe(303);
    expect(done.headers.get("location")).toBe("https://app.example.com/bye?state=bye-1");
    expect([...browser.cookies.keys()].some((name) => name.startsWith("__Host-sso-"))).toBe(false);
    const after = await browser.get(`/t/authz/authorize?${authorizeQuery({ prompt: "none" }, firstParty)}`);
    expect(target(after).params.error).toBe("login_required");
  });

  it("takes the request by POST too (form-serialized, §2): signs out at once with this browser's ID token", async () => {
    const { browser, tokens } = await portalSession();
    const out = await browser.post("/t/authz/logout", { id_token_hint: String(tokens.id_token) });
    expect(out.status).toBe(200);
    expect(await out.text()).toContain("You are signed out.");
    expect(await userinfoStatus(tokens.access_token)).toBe(401);
  });

  it("asks, by POST without the provider cookie (a cross-site POST does not carry it), and ends nothing", async () => {
    const { tokens } = await portalSession();
    const elsewhere = new TestBrowser(t.app.request.bind(t.app));
    const ask = await elsewhere.post("/t/authz/logout", { id_token_hint: String(tokens.id_token) });
    expect(ask.status).toBe(200);
    expect(formsOf(await ask.text())[0]?.action).toBe("/t/authz/logout");
    expect(await userinfoStatus(tokens.access_token)).toBe(200);
  });

  it("refuses a state longer than 1024 characters with a page, rather than dropping it", async () => {
    const browser = new TestBrowser(t.app.request.bind(t.app));
    const query = (state: string) =>
      new URLSearchParams({ client_id: thirdParty, post_logout_redirect_uri: "https://app.example.com/bye", state });
    const long = await browser.get(`/t/authz/logout?${query("s".repeat(1025))}`);
    expect(long.status).toBe(400);
    expect(long.headers.get("location")).toBeNull();
    const longest = await browser.get(`/t/authz/logout?${query("s".repeat(1024))}`);
    expect(longest.status).toBe(200);
    expect(formsOf(await longest.text())[0]?.fields.state).toHaveLength(1024);
  });

  it("refuses a post_logout_redirect_uri that is not registered for the client, with a page", async () => {
    const browser = new TestBrowser(t.app.request.bind(t.app));
    for (const uri of ["https://evil.example/bye", APP]) {
      const query = new URLSearchParams({ client_id: thirdParty, post_logout_redirect_uri: uri });
      const response = await browser.get(`/t/authz/logout?${query}`);
      expect(response.status).toBe(400);
      expect(response.headers.get("location")).toBeNull();
    }
    const noClient = await browser.get(`/t/authz/logout?post_logout_redirect_uri=${encodeURIComponent(APP)}`);
    expect(noClient.status).toBe(400);
  });
});
