/**
 * The hosted login under a required MFA policy, on real Postgres and Redis:
 * a user without a factor enters the password (or signs up) and lands at
 * /login/mfa/enroll with no session yet; the key on the page, its first
 * code, the recovery codes once, Continue, and the code at the client with
 * amr pwd+otp+mfa. The step cannot be skipped or used to add a factor to an
 * account that has one.
 */
import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import { decodeJwt } from "jose";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { totpCode, totpStep } from "../../src/core/mfa/totp.js";
import { appClient, GOOD_PASSWORD, JSON_HEADERS } from "../support/accounts.js";
import { startTestApp, TEST_ADMIN_KEY, type TestApp } from "../support/app.js";
import { formsOf, pkce, registerClient, TestBrowser } from "../support/hosted.js";
import { pinnedClock } from "../support/key-ring.js";

const PORTAL = "https://portal.example/cb";
const ORIGIN = "http://localhost";
const SSO = "__Host-sso-henroll";
const clock = pinnedClock(Date.UTC(2026, 10, 4, 9));

let t: TestApp;
let api: ReturnType<typeof appClient>;
let db: pg.Client;
let clientId: string;
let n = 0;

beforeAll(async () => {
  t = await startTestApp({ clock });
  api = appClient(t);
  await api.createTenant("henroll");
  clientId = (
    await registerClient(t.app.request.bind(t.app), "henroll", {
      name: "Portal",
      redirect_uris: [PORTAL],
      first_party: true,
    })
  ).client_id;
  const policy = await t.app.request("/t/henroll/v1/admin/mfa-policy", {
    method: "PUT",
    headers: { ...JSON_HEADERS, Authorization: `Bearer ${TEST_ADMIN_KEY}` },
    body: JSON.stringify({ policy: "required" }),
  });
  expect(policy.status).toBe(200);
  db = new pg.Client({ connectionString: t.database.url });
  await db.connect();
});
afterAll(async () => {
  await db.end();
  await t.close();
});

const { verifier, challenge } = pkce();
const newBrowser = () => new TestBrowser(t.app.request.bind(t.app));
const authorizeUrl = () =>
  `/t/henroll/authorize?${new URLSearchParams({
    response_type: "code",
    client_id: clientId,
    redirect_uri: PORTAL,
    scope: "openid",
    state: "st",
    nonce: "nc",
    code_challenge: challenge,
    code_challenge_method: "S256",
  })}`;

/** A user of the tenant (signed up through the JSON API: the enrollment challenge, no tokens). */
async function newUser() {
  const email = `h${++n}@example.com`;
  expect((await api.signup("henroll", email)).status).toBe(201);
  return email;
}

async function password(browser: TestBrowser, email: string) {
  const login = await browser.follow(await browser.get(authorizeUrl()), ORIGIN);
  expect(login.status).toBe(200);
  return browser.submit(await login.text(), { email, password: GOOD_PASSWORD });
}

/** The key the page shows (base32, in groups of four). */
const keyOf = (html: string) =>
  decodeBase32IgnorePadding((/<code class="secret">([A-Z2-7 ]+)<\/code>/.exec(html)?.[1] ?? "").replaceAll(" ", ""));

const codeNow = (secret: Uint8Array) => totpCode(secret, totpStep(clock.now()));

function codeOf(response: Response): string | null {
  const location = response.headers.get("location") ?? "";
  return location.startsWith(PORTAL) ? new URL(location).searchParams.get("code") : null;
}

async function redeem(code: string) {
  const response = await t.app.request("/t/henroll/oauth2/token", {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code,
      redirect_uri: PORTAL,
      code_verifier: verifier,
      client_id: clientId,
    }).toString(),
  });
  expect(response.status, await response.clone().text()).toBe(200);
  return decodeJwt(((await response.json()) as { id_token: string }).id_token);
}

/** From the first step's answer to the enrollment page; no provider session yet. */
async function enrollPage(browser: TestBrowser, afterFirstStep: Response) {
  expect(afterFirstStep.status).toBe(303);
  const location = afterFirstStep.headers.get("location") ?? "";
  expect(location).toMatch(/^\/t\/henroll\/login\/mfa\/enroll\?request=[\w-]{43}&challenge=[\w-]{43}$/);
  expect(browser.cookies.has(SSO)).toBe(false);
  const page = await browser.get(location);
  expect(page.status).toBe(200);
  return { html: await page.text(), location };
}

describe("hosted enrollment under a required policy", () => {
  it("password, the key, a wrong code, the right code, the recovery codes once, Continue: amr pwd+otp+mfa", async () => {
    const email = await newUser();
    const browser = newBrowser();
    const { html } = await enrollPage(browser, await password(browser, email));
    expect(html).toContain("Set up two-step verification");
    expect(html).toContain("<svg ");
    const [form] = formsOf(html);
    expect(form?.action).toBe("/t/henroll/login/mfa/enroll");
    expect(Object.keys(form?.fields ?? {}).sort()).toEqual(["challenge", "code", "csrf", "request"]);
    const secret = keyOf(html);

    const wrong = await browser.submit(html, { code: codeNow(secret) === "000000" ? "111111" : "000000" });
    expect(wrong.status).toBe(400);
    const again = await wrong.text();
    expect(again).toMatch(
      /<input id="field-code" [^>]*aria-invalid="true" aria-describedby="field-code-hint field-code-error"/,
    );
    expect(again).toContain('<span class="field-error" id="field-code-error">That code is wrong');
    // The key is not shown twice; the form is, with a way to start over with a new key.
    expect(again).not.toContain('class="secret"');
    expect(again).toContain("Start over");
    expect(browser.cookies.has(SSO)).toBe(false);

    const right = await browser.submit(again, { code: codeNow(secret) });
    expect(right.status).toBe(200);
    expect(browser.cookies.has(SSO)).toBe(true);
    const codesPage = await right.text();
    const shown = [...codesPage.matchAll(/<li><code>([a-z2-7]{4}(?:-[a-z2-7]{4}){5})<\/code><\/li>/g)].map((m) => m[1]);
    expect(shown).toHaveLength(10);
    expect(formsOf(codesPage)[0]?.action).toBe("/t/henroll/login/mfa/enroll/continue");

    const code = codeOf(await browser.submit(codesPage));
    expect(code).not.toBeNull();
    expect(await redeem(code ?? "")).toMatchObject({ amr: ["pwd", "otp", "mfa"], acr: "urn:authority:mfa" });
    // The factor is the user's now: the next sign-in asks for its code.
    const other = newBrowser();
    const next = await password(other, email);
    expect(next.headers.get("location")).toMatch(/^\/t\/henroll\/login\/mfa\?/);
  });

  it("a hosted signup goes to the enrollment too", async () => {
    const browser = newBrowser();
    const login = await browser.follow(await browser.get(authorizeUrl()), ORIGIN);
    const signupLink = /href="([^"]*\/signup[^"]*)"/.exec(await login.text())?.[1]?.replaceAll("&amp;", "&") ?? "";
    const signupPage = await (await browser.get(signupLink)).text();
    const created = await browser.submit(signupPage, { email: `h${++n}@example.com`, password: GOOD_PASSWORD });
    const { html } = await enrollPage(browser, created);
    const done = await browser.submit(html, { code: codeNow(keyOf(html)) });
    expect(done.status).toBe(200);
    expect(codeOf(await browser.submit(await done.text()))).not.toBeNull();
  });

  it("cannot be skipped, nor taken to another browser, nor used by a challenge to verify a factor", async () => {
    const email = await newUser();
    const browser = newBrowser();
    const { html, location } = await enrollPage(browser, await password(browser, email));
    const fields = formsOf(html)[0]?.fields ?? {};
    // Back to the authorization endpoint: the login form again.
    const back = await browser.get(authorizeUrl());
    expect(back.headers.get("location")).toMatch(/^\/t\/henroll\/login\?request=/);

    // Another browser with the page's URL and challenge: start again, and no key for it.
    const thief = newBrowser();
    const stolenPage = await thief.get(location.replace(/request=[\w-]+&/, ""));
    expect(stolenPage.status).toBe(400);
    expect(await stolenPage.text()).not.toContain('class="secret"');
    const thiefCsrf = formsOf(await (await thief.get("/t/henroll/login")).text())[0]?.fields.csrf ?? "";
    const stolen = await thief.post("/t/henroll/login/mfa/enroll", {
      challenge: fields.challenge ?? "",
      csrf: thiefCsrf,
      code: codeNow(keyOf(html)),
    });
    expect(stolen.status).toBe(400);
    expect(thief.cookies.has(SSO)).toBe(false);

    // Opened at the second step's page by hand (GET or a form posted there): the enrollment page, same challenge.
    const byHand = await browser.get(location.replace("/login/mfa/enroll?", "/login/mfa?"));
    expect(byHand.status).toBe(303);
    expect(byHand.headers.get("location")).toBe(location);
    const posted = await browser.post("/t/henroll/login/mfa", { ...fields, code: "000000" });
    expect(posted.status).toBe(303);
    expect(posted.headers.get("location")).toBe(location);

    // The owner enrolls; then a sign-in's challenge (to verify that factor) cannot open the enrollment page.
    expect((await browser.submit(html, { code: codeNow(keyOf(html)) })).status).toBe(200);
    const later = newBrowser();
    const verifying = (await password(later, email)).headers.get("location") ?? "";
    const ref = new URL(verifying, ORIGIN).searchParams.get("challenge") ?? "";
    const refused = await later.get(`/t/henroll/login/mfa/enroll?challenge=${ref}`);
    expect(refused.status).toBe(400);
    expect(await refused.text()).not.toContain('class="secret"');
    const rows = await db.query(
      "SELECT count(*)::int AS n FROM mfa_totp t JOIN users u ON u.id = t.user_id WHERE t.deleted_at IS NULL AND t.confirmed_at IS NULL",
    );
    expect(rows.rows[0].n).toBe(0);
  });
});
