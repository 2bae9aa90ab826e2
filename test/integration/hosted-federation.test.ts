/**
 * The login page's upstream buttons through the existing federated flow
 * (a local OpenID provider): the upstream login returns to the hosted
 * return route, which redeems the one-time code server-side, starts the
 * provider session and finishes the pending authorization request; a user
 * with a second factor goes through /login/mfa first, as after a password,
 * and one a required policy binds sets an authenticator up at /login/mfa/enroll.
 */
import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { totpCode, totpStep } from "../../src/core/mfa/totp.js";
import { appClient, JSON_HEADERS } from "../support/accounts.js";
import { startTestApp, TEST_ADMIN_KEY, TEST_PUBLIC_URL, type TestApp } from "../support/app.js";
import { type FakeOidc, startFakeOidc } from "../support/fake-oidc.js";
import { formsOf, pkce, registerClient, TestBrowser } from "../support/hosted.js";

const APP = "https://photos.example/cb";
const ORIGIN = "http://localhost";
const SSO = "__Host-sso-fedpages";
let t: TestApp;
let idp: FakeOidc;
let clientId: string;

beforeAll(async () => {
  t = await startTestApp();
  idp = await startFakeOidc("client-1", "secret-1");
  await appClient(t).createTenant("fedpages");
  const put = await t.app.request("/t/fedpages/v1/admin/oauth-providers/idp", {
    method: "PUT",
    headers: { Authorization: `Bearer ${TEST_ADMIN_KEY}`, ...JSON_HEADERS },
    body: JSON.stringify({ client_id: "client-1", client_secret: "secret-1", issuer: idp.issuer }),
  });
  expect(put.status).toBe(200);
  clientId = (
    await registerClient(t.app.request.bind(t.app), "fedpages", {
      name: "Photos",
      redirect_uris: [APP],
      first_party: true,
    })
  ).client_id;
});
afterAll(async () => {
  await idp.close();
  await t.close();
});

/** From the login page's button through the provider and back to the hosted return route; resolves its answer. */
async function throughProvider(browser: TestBrowser, loginHtml: string): Promise<Response> {
  const href = /<a class="button secondary" href="([^"]+)">Continue with <bdi>Idp<\/bdi><\/a>/.exec(loginHtml)?.[1];
  expect(href).toMatch(/^\/t\/fedpages\/login\/federated\/oauth\/idp(\?request=|$)/);
  const ret = await toReturn(browser, (href ?? "").replace(/&amp;/g, "&"));
  return browser.get(ret.pathname + ret.search);
}

/** From a federated start URL through the provider: the hosted return URL (its `state` the handle), not yet followed. */
async function toReturn(browser: TestBrowser, startPath: string): Promise<URL> {
  const start = await browser.get(startPath);
  expect(start.status).toBe(302);
  const atProvider = await fetch(start.headers.get("location") ?? "", { redirect: "manual" });
  const callback = new URL(atProvider.headers.get("location") ?? "");
  const back = await browser.get(callback.pathname + callback.search);
  expect(back.status).toBe(302);
  const ret = new URL(back.headers.get("location") ?? "");
  expect(ret.origin + ret.pathname).toBe(`${TEST_PUBLIC_URL}/t/fedpages/login/federated/return`);
  return ret;
}

describe("federated buttons on the login page", () => {
  it("sign in upstream, come back into the pending authorization, get a code", async () => {
    idp.state.misbehave = "none";
    idp.state.nextUser = { sub: "u-42", email: "lin@idp.example", email_verified: true, name: "Lin" };
    const browser = new TestBrowser(t.app.request.bind(t.app));
    const query = new URLSearchParams({
      response_type: "code",
      client_id: clientId,
      redirect_uri: APP,
      scope: "openid",
      state: "st",
      code_challenge: pkce().challenge,
      code_challenge_method: "S256",
    });
    const login = await browser.follow(await browser.get(`/t/fedpages/authorize?${query}`), ORIGIN);
    const done = await throughProvider(browser, await login.text());
    expect(done.status).toBe(302);
    const back = new URL(done.headers.get("location") ?? "");
    expect(back.origin + back.pathname).toBe(APP);
    expect(back.searchParams.get("code")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(back.searchParams.get("iss")).toBe(`${TEST_PUBLIC_URL}/t/fedpages`);
    expect(browser.cookies.has("__Host-sso-fedpages")).toBe(true);
  });

  it("shows the upstream's refusal on the login form", async () => {
    idp.state.misbehave = "deny";
    const browser = new TestBrowser(t.app.request.bind(t.app));
    const login = await browser.get("/t/fedpages/login");
    const back = await throughProvider(browser, await login.text());
    expect(back.status).toBe(400);
    const html = await back.text();
    // The upstream's words, isolated (FSI ... PDI) so no direction control in them reorders the message.
    expect(html).toMatch(/Signing in there did not work: \u2068[^\u2066-\u2069]+\u2069</);
    expect(html).toContain('name="password"');
    expect(browser.cookies.has("__Host-sso-fedpages")).toBe(false);
  });

  it("shows no text a link chose: an unknown provider's name stays off the login page", async () => {
    const browser = new TestBrowser(t.app.request.bind(t.app));
    const start = await browser.get("/t/fedpages/login/federated/oauth/account-locked-call-1-555-0100");
    expect(start.status).toBe(302);
    const ret = new URL(start.headers.get("location") ?? "", TEST_PUBLIC_URL);
    expect(ret.pathname).toBe("/t/fedpages/login/federated/return");
    const back = await browser.get(ret.pathname + ret.search);
    expect(back.status).toBe(400);
    const html = await back.text();
    expect(html).toContain("Signing in there did not work: it could not be completed.");
    expect(html).not.toContain("account-locked");
  });

  it.each(["saml", "oauth"])("answers a %s name no upstream can have (a NUL) as none, not a 500", async (kind) => {
    const browser = new TestBrowser(t.app.request.bind(t.app));
    const start = await browser.get(`/t/fedpages/login/federated/${kind}/a%00b`);
    expect([302, 404]).toContain(start.status);
  });

  it("refuses a return that this browser did not start", async () => {
    const response = await new TestBrowser(t.app.request.bind(t.app)).get(
      "/t/fedpages/login/federated/return?state=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA&code=x",
    );
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
  });

  it("a user with an authenticator app signs in upstream, then gives the code: amr oauth+otp+mfa at the client", async () => {
    idp.state.misbehave = "none";
    idp.state.nextUser = { sub: "u-77", email: "ada@idp.example", email_verified: true, name: "Ada" };
    const { verifier, challenge } = pkce();
    const query = new URLSearchParams({
      response_type: "code",
      client_id: clientId,
      redirect_uri: APP,
      scope: "openid",
      state: "st",
      nonce: "nc",
      code_challenge: challenge,
      code_challenge_method: "S256",
    });
    // The first upstream login creates the user; they then add an authenticator app.
    const first = new TestBrowser(t.app.request.bind(t.app));
    expect((await throughProvider(first, await (await first.get("/t/fedpages/login")).text())).status).toBe(302);
    const tenant = await t.services.tenants.require("fedpages");
    const user = await t.services.accounts.findByAddress(tenant, "ada@idp.example");
    if (!user) throw new Error("no user");
    const enrollment = await t.services.mfa.enrollTotp(tenant, user);
    const secret = decodeBase32IgnorePadding(enrollment.secret);
    const step = totpStep(new Date());
    await t.services.mfa.confirmTotp(tenant, user.id, enrollment.id, totpCode(secret, step - 1), "net");

    const browser = new TestBrowser(t.app.request.bind(t.app));
    const login = await browser.follow(await browser.get(`/t/fedpages/authorize?${query}`), ORIGIN);
    const back = await throughProvider(browser, await login.text());
    // Not signed in yet: the second step, with the pending request.
    expect(back.status).toBe(302);
    expect(back.headers.get("location")).toMatch(/^\/t\/fedpages\/login\/mfa\?request=[\w-]{43}&challenge=[\w-]{43}$/);
    expect(browser.cookies.has(SSO)).toBe(false);
    const mfa = await browser.get(back.headers.get("location") ?? "");
    expect(mfa.status).toBe(200);
    const form = formsOf(await mfa.text()).find((f) => f.action === "/t/fedpages/login/mfa");
    expect(form?.fields.type).toBe("totp");
    // Going round the step to the authorization endpoint gives no code.
    expect((await browser.get(`/t/fedpages/authorize?${query}`)).headers.get("location")).toMatch(/\/login\?request=/);

    const done = await browser.post(form?.action ?? "", { ...form?.fields, code: totpCode(secret, step) });
    expect(done.status).toBe(303);
    expect(browser.cookies.has(SSO)).toBe(true);
    const arrived = new URL(done.headers.get("location") ?? "");
    expect(arrived.origin + arrived.pathname).toBe(APP);
    const token = await t.app.request("/t/fedpages/oauth2/token", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        code: arrived.searchParams.get("code") ?? "",
        redirect_uri: APP,
        code_verifier: verifier,
        client_id: clientId,
      }).toString(),
    });
    expect(token.status, await token.clone().text()).toBe(200);
    const idToken = decodeJwt(((await token.json()) as { id_token: string }).id_token);
    expect(idToken).toMatchObject({ sub: user.id, amr: ["oauth", "otp", "mfa"], acr: "urn:authority:mfa" });
  });

  it("under a required policy a new upstream user sets up an authenticator first; trust_upstream skips it", async () => {
    const policy = (body: unknown) =>
      t.app.request("/t/fedpages/v1/admin/mfa-policy", {
        method: "PUT",
        headers: { Authorization: `Bearer ${TEST_ADMIN_KEY}`, ...JSON_HEADERS },
        body: JSON.stringify(body),
      });
    expect((await policy({ policy: "required" })).status).toBe(200);
    idp.state.misbehave = "none";
    idp.state.nextUser = { sub: "u-88", email: "bo@idp.example", email_verified: true, name: "Bo" };
    const browser = new TestBrowser(t.app.request.bind(t.app));
    const back = await throughProvider(browser, await (await browser.get("/t/fedpages/login")).text());
    expect(back.headers.get("location")).toMatch(/^\/t\/fedpages\/login\/mfa\/enroll\?challenge=[\w-]{43}$/);
    expect(browser.cookies.has(SSO)).toBe(false);
    const page = await (await browser.get(back.headers.get("location") ?? "")).text();
    const key = /<code class="secret">([A-Z2-7 ]+)<\/code>/.exec(page)?.[1]?.replaceAll(" ", "") ?? "";
    const done = await browser.submit(page, { code: totpCode(decodeBase32IgnorePadding(key), totpStep(new Date())) });
    expect(done.status).toBe(200);
    expect(browser.cookies.has(SSO)).toBe(true);
    const tenant = await t.services.tenants.require("fedpages");
    const session = await t.services.providerSessions.resolve(tenant, browser.cookies.get(SSO));
    expect(session?.session.amr).toEqual(["oauth", "otp", "mfa"]);

    // With the upstream trusted, another newcomer is signed in at once.
    expect((await policy({ policy: "required", federated_logins: "trust_upstream" })).status).toBe(200);
    idp.state.nextUser = { sub: "u-89", email: "cy@idp.example", email_verified: true, name: "Cy" };
    const trusted = new TestBrowser(t.app.request.bind(t.app));
    const signedIn = await throughProvider(trusted, await (await trusted.get("/t/fedpages/login")).text());
    expect(signedIn.headers.get("location")).toBe("/t/fedpages/login");
    expect(trusted.cookies.has(SSO)).toBe(true);
    expect((await policy({ policy: "optional" })).status).toBe(200);
  });
});

describe("the hosted return state at rest", () => {
  it("is sealed under its own handle: no verifier in Redis, no opening under another handle", async () => {
    idp.state.misbehave = "none";
    idp.state.nextUser = { sub: "u-sealed", email: "sealed@idp.example", email_verified: true };
    const tenant = await t.services.tenants.require("fedpages");
    const keyOf = (ret: URL) => `hosted-federation:${tenant.id}:${ret.searchParams.get("state")}`;
    const browser = new TestBrowser(t.app.request.bind(t.app));
    await browser.get("/t/fedpages/login");
    const started = async () => {
      const ret = await toReturn(browser, "/t/fedpages/login/federated/oauth/idp");
      return { ret, key: keyOf(ret), stored: (await t.deps.kv.get(keyOf(ret))) ?? "" };
    };
    const follow = (state: string, code: string) =>
      browser.get(`/t/fedpages/login/federated/return?${new URLSearchParams({ state, code })}`);
    const first = await started();
    const second = await started();
    // Neither the PKCE verifier of the hosted page's own exchange nor the browser binding in clear.
    expect(first.stored).toMatch(/^s1\./);
    for (const field of ["codeVerifier", "browser", "requestId"]) expect(first.stored).not.toContain(field);
    // The first login's state moved under the second's handle does not open there (its verifier would redeem the first code).
    await t.deps.kv.set(second.key, first.stored, { ttlMs: 60_000 });
    const moved = await follow(second.ret.searchParams.get("state") ?? "", first.ret.searchParams.get("code") ?? "");
    expect(moved.status).toBe(400);
    expect(browser.cookies.has(SSO)).toBe(false);
    // The first still completes under its own handle.
    const own = await browser.get(first.ret.pathname + first.ret.search);
    expect(own.status).toBe(302);
    expect(own.headers.get("location")).toBe("/t/fedpages/login");
    expect(browser.cookies.has(SSO)).toBe(true);
    // A state an instance of the release before stored in clear still completes (rolling upgrade).
    const third = await started();
    await t.deps.kv.set(third.key, await t.deps.sealer.open(third.stored, third.key), { ttlMs: 60_000 });
    const legacy = await browser.get(third.ret.pathname + third.ret.search);
    expect(legacy.status).toBe(302);
    expect(legacy.headers.get("location")).toBe("/t/fedpages/login");
  });
});
