/**
 * The hosted pages' HTML through the whole app (real Postgres and Redis):
 * each page's form fields, the CSRF refusal, the per-response CSP nonce,
 * framing refused, the stylesheet served by the app, the tenant's branding
 * with readable colours, and failures (rate limits, unknown tenant, bad
 * links) as pages rather than JSON.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contrastRatio } from "../../src/core/color-contrast.js";
import { appClient, GOOD_PASSWORD, JSON_HEADERS } from "../support/accounts.js";
import { startTestApp, TEST_ADMIN_KEY, TEST_PUBLIC_URL, type TestApp } from "../support/app.js";
import { FORM_HEADERS, formsOf, pkce, registerClient, TestBrowser } from "../support/hosted.js";
import { PNG, startImageServer } from "../support/image-server.js";

const EMAIL = "grace@example.com";
const admin = { Authorization: `Bearer ${TEST_ADMIN_KEY}`, ...JSON_HEADERS };
let t: TestApp;
let userId: string;
let images: Awaited<ReturnType<typeof startImageServer>>;

beforeAll(async () => {
  t = await startTestApp();
  images = await startImageServer({ "/logo.png": { type: "image/png", body: PNG } });
  const api = appClient(t);
  await api.createTenant("pages");
  const branding = await t.app.request("/t/pages/v1/admin/branding", {
    method: "PUT",
    headers: admin,
    // A light accent: white text on it would be unreadable.
    body: JSON.stringify({ logo_url: images.url("/logo.png"), accent_color: "#facc15", language: "en" }),
  });
  expect(branding.status).toBe(200);
  const signup = await api.signup("pages", EMAIL);
  userId = ((await signup.json()) as { user: { id: string } }).user.id;
});
afterAll(async () => {
  await images?.close();
  await t.close();
});

const newBrowser = () => new TestBrowser(t.app.request.bind(t.app));

/** The CSP of a page, with its nonce; the inline theme style must carry the same nonce. */
function expectPageHeaders(response: Response, html: string): void {
  expect(response.headers.get("content-type")).toMatch(/^text\/html; charset=utf-8/i);
  expect(response.headers.get("x-frame-options")).toBe("DENY");
  expect(response.headers.get("cache-control")).toBe("no-store");
  const csp = response.headers.get("content-security-policy") ?? "";
  const nonce = /'nonce-([A-Za-z0-9_-]{22})'/.exec(csp)?.[1];
  expect(nonce).toBeDefined();
  expect(csp).toContain("default-src 'none'");
  expect(csp).toContain(`style-src 'self' 'nonce-${nonce}'`);
  // The tenant's logo comes from this origin too: no third-party asset.
  expect(csp).toContain("img-src 'self';");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toContain("base-uri 'none'");
  expect(csp).toMatch(/form-action 'self'/);
  expect(csp).not.toContain("unsafe-inline");
  expect(html).toContain(`<style nonce="${nonce}">`);
  const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map(([tag]) => tag);
  if (scripts.length === 0) {
    expect(csp).not.toContain("script-src");
  } else {
    // One script, the app's file, with this response's nonce: the passkey script (which fetches
    // from this origin) on the login page, the form guard (which fetches nothing) on other forms.
    expect(scripts).toEqual([expect.stringMatching(/^<script src="\/assets\/(passkey|forms)\.js\?v=[0-9a-f]{8}"/)]);
    const passkey = scripts[0]?.includes("/assets/passkey.js");
    expect(csp).toContain(`script-src 'nonce-${nonce}'; ${passkey ? "connect-src 'self'; " : ""}form-action`);
    expect(scripts[0]).toContain(`nonce="${nonce}"`);
  }
  expect(html).toMatch(/^<!doctype html><html lang="en">/);
  expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1"/>');
}

/** Every input has a label pointing at it. */
function expectLabelled(html: string): void {
  for (const [input] of html.matchAll(/<input\b[^>]*>/g)) {
    if (/type="hidden"/.test(input)) continue;
    const id = /id="([^"]+)"/.exec(input)?.[1];
    expect(id, input).toBeDefined();
    expect(html).toContain(`<label for="${id}">`);
  }
}

describe("pages", () => {
  it("login: email, password, csrf; links to sign-up and reset; nonce differs per response", async () => {
    const browser = newBrowser();
    const first = await browser.get("/t/pages/login");
    const html = await first.text();
    expect(first.status).toBe(200);
    expectPageHeaders(first, html);
    expectLabelled(html);
    const [form] = formsOf(html);
    expect(form?.action).toBe("/t/pages/login");
    expect(form?.method).toBe("post");
    expect(Object.keys(form?.fields ?? {}).sort()).toEqual(["csrf", "email", "password"]);
    expect(html).toContain('href="/t/pages/signup"');
    expect(html).toContain('href="/t/pages/password/forgot"');
    expect(html).toContain('autocomplete="current-password"');
    expect(browser.cookies.has("__Host-csrf-pages")).toBe(true);
    const second = await browser.get("/t/pages/login");
    expect(second.headers.get("content-security-policy")).not.toBe(first.headers.get("content-security-policy"));
  });

  it("uses the tenant's logo and accent, with text on it readable (WCAG AA)", async () => {
    const html = await (await newBrowser().get("/t/pages/login")).text();
    // The copy the service fetched, from its own origin (branding-logo.test.ts).
    expect(html).toMatch(/<img src="\/t\/pages\/branding\/logo\?v=[\w-]{43}" alt="pages" height="40"\/>/);
    const theme = /--accent:(#[0-9a-f]{6});--on-accent:(#[0-9a-f]{6});--link:(#[0-9a-f]{6})/.exec(html);
    expect(theme?.[1]).toBe("#facc15");
    expect(contrastRatio(theme?.[1] ?? "", theme?.[2] ?? "")).toBeGreaterThanOrEqual(4.5);
    // The accent is too light for links on white: they get a darker shade of it.
    expect(theme?.[3]).not.toBe("#facc15");
    expect(contrastRatio(theme?.[3] ?? "", "#ffffff")).toBeGreaterThanOrEqual(4.5);
  });

  it("serves its one stylesheet itself, versioned and immutable", async () => {
    const html = await (await newBrowser().get("/t/pages/login")).text();
    const href = /<link rel="stylesheet" href="([^"]+)"/.exec(html)?.[1] ?? "";
    expect(href).toMatch(/^\/assets\/hosted\.css\?v=[0-9a-f]{8}$/);
    const css = await t.app.request(href);
    expect(css.status).toBe(200);
    expect(css.headers.get("content-type")).toBe("text/css; charset=utf-8");
    expect(css.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(await css.text()).toContain(":focus-visible");
    const again = await t.app.request(href, { headers: { "If-None-Match": css.headers.get("etag") ?? "" } });
    expect(again.status).toBe(304);
  });

  it("refuses a POST without this browser's CSRF token with a 403 page", async () => {
    const browser = newBrowser();
    const html = await (await browser.get("/t/pages/login")).text();
    const fields: Record<string, string> = { ...formsOf(html)[0]?.fields, email: EMAIL, password: GOOD_PASSWORD };
    const cases: [string, () => Promise<Response>][] = [
      ["no token", () => browser.post("/t/pages/login", { ...fields, csrf: "" })],
      ["a wrong token", () => browser.post("/t/pages/login", { ...fields, csrf: `${fields.csrf}x` })],
      ["another browser's token", () => newBrowser().post("/t/pages/login", fields)],
    ];
    for (const [, send] of cases) {
      const response = await send();
      expect(response.status).toBe(403);
      const page = await response.text();
      expectPageHeaders(response, page);
      expect(page).toContain("This form has expired or was not sent from this page.");
      expect(response.headers.getSetCookie().some((c) => c.startsWith("__Host-sso-"))).toBe(false);
    }
    const wrongType = await browser.post("/t/pages/login", fields, JSON_HEADERS);
    expect(wrongType.status).toBe(415);
    expect(wrongType.headers.get("content-type")).toMatch(/^text\/html/);
  });

  it.each([
    ["/t/pages/login", { email: EMAIL, password: GOOD_PASSWORD }],
    ["/t/pages/signup", { email: "csrf-victim@example.com", password: GOOD_PASSWORD }],
    ["/t/pages/password/forgot", { email: EMAIL }],
    ["/t/pages/password/reset", { token: "A".repeat(43), password: GOOD_PASSWORD }],
    ["/t/pages/email/verify", { token: "A".repeat(43) }],
    ["/t/pages/logout", {}],
    ["/t/pages/consent", { request: "x", decision: "allow" }],
  ])("refuses a cross-site POST to %s without this browser's token (403), doing nothing", async (path, fields) => {
    // The attacker's page posts from another browser context: this browser has no CSRF cookie or token.
    const browser = newBrowser();
    await browser.get("/t/pages/login");
    const response = await browser.post(path, { ...fields, csrf: "forged" });
    expect(response.status).toBe(403);
    expect(await response.text()).toContain("This form has expired or was not sent from this page.");
    expect(response.headers.getSetCookie().some((c) => c.startsWith("__Host-sso-"))).toBe(false);
  });

  it("made no account from the refused sign-up above", async () => {
    expect((await appClient(t).signup("pages", "csrf-victim@example.com")).status).toBe(201);
  });

  it("login: a wrong password shows the form again (401); the right one starts the provider session", async () => {
    const browser = newBrowser();
    const html = await (await browser.get("/t/pages/login")).text();
    const wrong = await browser.submit(html, { email: EMAIL, password: "not the password at all" });
    expect(wrong.status).toBe(401);
    const again = await wrong.text();
    expect(again).toContain("The email address or password is wrong.");
    expect(formsOf(again)[0]?.fields.email).toBe(EMAIL);

    const right = await browser.submit(again, { password: GOOD_PASSWORD });
    expect(right.status).toBe(303);
    const cookie = right.headers.getSetCookie().find((c) => c.startsWith("__Host-sso-pages="));
    expect(cookie).toMatch(/; Max-Age=\d+; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
    const signedIn = await browser.follow(right, "http://localhost");
    const signedInHtml = await signedIn.text();
    expect(signedInHtml).toContain(`You are signed in as <bdi>${EMAIL}</bdi>.`);
    // The session is a normal one: /v1/sessions would list it, with client_id "provider".
    const live = (await t.services.sessions.listLive(await t.services.tenants.require("pages"), userId, null, 100)).map(
      (row) => row.session,
    );
    expect(live.some((s) => s.clientId === "provider" && s.authMethod === "password")).toBe(true);
  });

  it("sign-up: labelled fields with the password hint; the policy's problems shown on the field; success signs in", async () => {
    const browser = newBrowser();
    const page = await browser.get("/t/pages/signup");
    const html = await page.text();
    expectPageHeaders(page, html);
    expectLabelled(html);
    expect(Object.keys(formsOf(html)[0]?.fields ?? {}).sort()).toEqual(["csrf", "email", "name", "password"]);
    expect(html).toContain('aria-describedby="field-password-hint"');

    const weak = await browser.submit(html, { email: "new@example.com", password: "short" });
    expect(weak.status).toBe(400);
    const weakHtml = await weak.text();
    expect(weakHtml).toContain('aria-invalid="true"');
    expect(weakHtml).toMatch(/class="field-error" id="field-password-error">[^<]+</);

    // The API's message names no field ("is one of the most common passwords; choose another"): the page's
    // sentence does; and the focus is on the field to fix, not the first one.
    const common = await browser.submit(html, { email: "new@example.com", password: "sunshine" });
    expect(common.status).toBe(400);
    const commonHtml = await common.text();
    expect(commonHtml).toContain(
      '<span class="field-error" id="field-password-error">Password is one of the most common passwords; choose another.</span>',
    );
    expect(commonHtml).toMatch(/<input id="field-password" [^>]*autofocus/);
    expect(commonHtml).not.toMatch(/<input id="field-email" [^>]*autofocus/);
    const long = await browser.submit(html, { email: "new@example.com", name: "n".repeat(201), password: "sunshine" });
    const longHtml = await long.text();
    expect(longHtml).toContain(
      '<span class="field-error" id="field-name-error">Name must be at most 200 characters.</span>',
    );
    expect(longHtml).toMatch(/<input id="field-name" [^>]*autofocus/);
    expect(longHtml).not.toMatch(/<input id="field-(email|password)" [^>]*autofocus/);
    expect(html).toMatch(/<input id="field-email" [^>]*autofocus/);

    const taken = await browser.submit(weakHtml, { email: EMAIL, password: GOOD_PASSWORD });
    expect(taken.status).toBe(409);
    const takenHtml = await taken.text();
    expect(takenHtml).toContain(
      '<div class="alert error" role="alert">An account with this email address exists. <a href="/t/pages/login">Sign in</a> instead, or <a href="/t/pages/password/forgot">reset its password</a>.</div>',
    );

    const made = await browser.submit(takenHtml, { email: "new@example.com", password: GOOD_PASSWORD });
    expect(made.status).toBe(303);
    expect(browser.cookies.has("__Host-sso-pages")).toBe(true);
  });

  it("sign-up within an authorization request: the taken address's sign-in link keeps the request", async () => {
    const { client_id } = await registerClient(t.app.request.bind(t.app), "pages", {
      name: "Signup App",
      redirect_uris: ["https://signup.example/cb"],
    });
    const query = new URLSearchParams({
      response_type: "code",
      client_id,
      redirect_uri: "https://signup.example/cb",
      scope: "openid",
      state: "s",
      code_challenge: pkce().challenge,
      code_challenge_method: "S256",
    });
    const browser = newBrowser();
    const login = (await browser.get(`/t/pages/authorize?${query}`)).headers.get("location") ?? "";
    const requestId = new URL(login, "http://localhost").searchParams.get("request");
    expect(requestId).toMatch(/^[\w-]{43}$/);
    const html = await (await browser.get(`/t/pages/signup?request=${requestId}`)).text();
    const taken = await browser.submit(html, { email: EMAIL, password: GOOD_PASSWORD });
    expect(taken.status).toBe(409);
    const takenHtml = await taken.text();
    expect(takenHtml).toContain(`<a href="/t/pages/login?request=${requestId}">Sign in</a> instead`);
    expect(takenHtml).toContain('<a href="/t/pages/password/forgot">reset its password</a>');
  });

  it("forgot password: the same answer for any address; needs a mailer", async () => {
    const browser = newBrowser();
    const page = await browser.get("/t/pages/password/forgot");
    const html = await page.text();
    expectPageHeaders(page, html);
    expect(Object.keys(formsOf(html)[0]?.fields ?? {}).sort()).toEqual(["csrf", "email"]);
    const long = await browser.submit(html, { email: `${"a".repeat(320)}@example.com` });
    expect(long.status).toBe(400);
    expect(await long.text()).toContain(
      '<span class="field-error" id="field-email-error">Email address must be at most 320 characters.</span>',
    );
    // The test app has no mailer: 503 as a page, like the JSON route's mail_unavailable.
    const sent = await browser.submit(html, { email: EMAIL });
    expect(sent.status).toBe(503);
    expect(await sent.text()).toContain("cannot handle this right now");
  });

  it("reset and verify links that cannot be one: the same dead-link page at once, for GET and POST", async () => {
    const browser = newBrowser();
    const bodies = new Set<string>();
    for (const query of [
      "",
      "?token=",
      "?token=abc",
      "?token=tok-123",
      `?token=${"x".repeat(300)}`,
      "?token=a&token=b",
    ]) {
      const reset = await browser.get(`/t/pages/password/reset${query}`);
      const html = await reset.text();
      expect(reset.status, query).toBe(400);
      expectPageHeaders(reset, html);
      expect(formsOf(html), query).toEqual([]);
      expect(html).toContain("This link is unknown, already used or expired.");
      expect(html).toContain('<a href="/t/pages/password/forgot">Ask for a new link</a>');
      // The same page whatever was wrong (the nonce aside).
      bodies.add(html.replace(/nonce="[^"]+"/g, ""));

      const verify = await browser.get(`/t/pages/email/verify${query}`);
      const verifyHtml = await verify.text();
      expect(verify.status, query).toBe(400);
      expect(formsOf(verifyHtml), query).toEqual([]);
      expect(verifyHtml).toContain("This link is unknown, already used or expired.");
      expect(verifyHtml).toContain("ask the application for a new link");
    }
    expect(bodies.size).toBe(1);

    // A form posted with a token that is none (by hand or from a stale page): the same page.
    const csrf = formsOf(await (await browser.get("/t/pages/password/forgot")).text())[0]?.fields.csrf ?? "";
    const sent: Record<string, string>[] = [{ token: "tok-123", password: GOOD_PASSWORD }, { password: GOOD_PASSWORD }];
    for (const fields of sent) {
      const posted = await browser.post("/t/pages/password/reset", { csrf, ...fields });
      expect(posted.status).toBe(400);
      expect(await posted.text()).toContain('<a href="/t/pages/password/forgot">Ask for a new link</a>');
    }
    const posted = await browser.post("/t/pages/email/verify", { csrf, token: "" });
    expect(posted.status).toBe(400);
    expect(await posted.text()).toContain("This link is unknown, already used or expired.");
  });

  it("a form posted as JSON or multipart says so, not that fields need attention (415)", async () => {
    const browser = newBrowser();
    const csrf = formsOf(await (await browser.get("/t/pages/password/forgot")).text())[0]?.fields.csrf ?? "";
    for (const type of ["application/json", "multipart/form-data; boundary=x"]) {
      const response = await browser.post("/t/pages/password/forgot", { csrf, email: EMAIL }, { "Content-Type": type });
      expect(response.status).toBe(415);
      const html = await response.text();
      expect(html).toContain("The form was sent in a format this page does not accept.");
      expect(html).not.toContain("Some fields need attention.");
    }
  });

  it("an unknown tenant's page is a 404 page without branding", async () => {
    const response = await newBrowser().get("/t/nope/login");
    expect(response.status).toBe(404);
    const html = await response.text();
    expect(html).toContain("There is no such page.");
    expect(response.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
  });

  it("the error page names only known errors, with status 400", async () => {
    const knownPage = await newBrowser().get("/t/pages/error?error=expired_request");
    expect(knownPage.status).toBe(400);
    expect(await knownPage.text()).toContain("This sign-in took too long and has expired.");
    const otherPage = await newBrowser().get("/t/pages/error?error=%3Cb%3Ezebra");
    expect(otherPage.status).toBe(400);
    const other = await otherPage.text();
    expect(other).toContain("The request could not be handled.");
    expect(other).not.toContain("zebra");
  });

  it("answers page paths' errors as pages: another method (405), the second step's enrolment", async () => {
    const send = (method: string, path: string) =>
      t.app.request(path, { method, headers: FORM_HEADERS, ...(method === "POST" ? { body: "request=zzz" } : {}) });
    const cases: [string, string, number][] = [
      ["PUT", "/t/pages/login", 405],
      ["DELETE", "/t/pages/consent", 405],
      ["GET", "/t/pages/login/mfa/enroll?request=zzz", 400],
      ["POST", "/t/pages/login/mfa/enroll/continue", 403],
    ];
    for (const [method, path, status] of cases) {
      const response = await send(method, path);
      expect(response.status, `${method} ${path}`).toBe(status);
      expect(response.headers.get("content-type"), `${method} ${path}`).toMatch(/^text\/html/);
    }
    expect((await send("PUT", "/t/pages/login")).headers.get("allow")).toBe("GET, HEAD, POST");
  });
});

describe("limits and locks as pages", () => {
  it("counts login form posts against the login limit and answers 429 with a page", async () => {
    await appClient(t).createTenant("limited");
    const put = await t.app.request("/t/limited/v1/admin/rate-limits", {
      method: "PUT",
      headers: admin,
      body: JSON.stringify({ login: { limit: 1, window_seconds: 60 } }),
    });
    expect(put.status, await put.clone().text()).toBe(200);
    const ip = { "X-Test-Client-Ip": "203.0.113.77" };
    const request = (path: string, init: RequestInit = {}) =>
      t.app.request(path, { ...init, headers: { ...(init.headers as Record<string, string>), ...ip } });
    const browser = new TestBrowser(request);
    const html = await (await browser.get("/t/limited/login")).text();
    const first = await browser.submit(html, { email: EMAIL, password: "wrong password here" });
    expect(first.status).toBe(401);
    const second = await browser.submit(html, { email: EMAIL, password: "wrong password here" });
    expect(second.status).toBe(429);
    expect(second.headers.get("retry-after")).toMatch(/^\d+$/);
    const page = await second.text();
    expect(page).toMatch(/Too many attempts\. Wait \d+ seconds and try again\./);
    expect(second.headers.get("content-type")).toMatch(/^text\/html/);
  });
});

describe("logout with an id_token_hint", () => {
  it("signs out at once when the hint names this browser's session, and returns to the registered URI", async () => {
    const request = t.app.request.bind(t.app);
    const { client_id } = await registerClient(request, "pages", {
      name: "Notes",
      redirect_uris: ["https://notes.example/cb"],
      post_logout_redirect_uris: ["https://notes.example/bye"],
    });
    const browser = newBrowser();
    const html = await (await browser.get("/t/pages/login")).text();
    await browser.submit(html, { email: EMAIL, password: GOOD_PASSWORD });
    const tenant = await t.services.tenants.require("pages");
    const session = (await t.services.sessions.listLive(tenant, userId, null, 100))
      .map((row) => row.session)
      .find((s) => s.clientId === "provider");
    const signer = await t.services.keyRing.signer(tenant);
    const now = Math.floor(Date.now() / 1000);
    const idToken = await signer.sign(
      { typ: "JWT" },
      { iss: `${TEST_PUBLIC_URL}/t/pages`, sub: userId, aud: client_id, sid: session?.id, iat: now, exp: now - 60 },
    );
    const query = new URLSearchParams({
      id_token_hint: idToken,
      post_logout_redirect_uri: "https://notes.example/bye",
      state: "s-9",
    });
    const out = await browser.get(`/t/pages/logout?${query}`);
    expect(out.status).toBe(302);
    expect(out.headers.get("location")).toBe("https://notes.example/bye?state=s-9");
    expect(out.headers.getSetCookie().some((c) => /^__Host-sso-pages=;.*Max-Age=0/.test(c))).toBe(true);
    const ended = await t.services.sessions.find(tenant, session?.id ?? "");
    expect(ended?.revokedAt).not.toBeNull();

    // A hint naming another client than client_id is refused with a page.
    const mismatch = new URLSearchParams({ id_token_hint: idToken, client_id: "AAAAAAAAAAAAAAAAAAAAAA" });
    expect((await browser.get(`/t/pages/logout?${mismatch}`)).status).toBe(400);
  });

  it("answers the confirmation form's POST with the signed-out page when there is no return address", async () => {
    const browser = newBrowser();
    const ask = await browser.get("/t/pages/logout");
    const html = await ask.text();
    expectPageHeaders(ask, html);
    const done = await browser.post("/t/pages/logout", { csrf: formsOf(html)[0]?.fields.csrf ?? "" }, FORM_HEADERS);
    expect(done.status).toBe(200);
    const text = await done.text();
    expect(text).toMatch(/<title>Signed out · [^<]*<\/title>/);
    expect(text).toContain("<h1>Signed out</h1>");
    expect(text).toContain("You are signed out.");
  });
});
