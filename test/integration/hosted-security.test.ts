/**
 * The hosted security page on real Postgres and Redis: a signed-in browser
 * adds an authenticator app (the key read off the page, the first code
 * computed from it), sees its recovery codes once and the factor listed;
 * removing it needs a recent second factor; every form needs the browser's
 * CSRF token; without a provider session nothing is shown or changed.
 */
import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { totpCode, totpStep } from "../../src/core/mfa/totp.js";
import type { Tenant } from "../../src/core/ports/database.js";
import { appClient, GOOD_PASSWORD } from "../support/accounts.js";
import { startTestApp, TEST_ADMIN_KEY, type TestApp } from "../support/app.js";
import { formsOf, TestBrowser } from "../support/hosted.js";
import { pinnedClock } from "../support/key-ring.js";

const SECURITY = "/t/hsec/account/security";
const SSO = "__Host-sso-hsec";
const clock = pinnedClock(Date.UTC(2026, 10, 2, 9));

let t: TestApp;
let tenant: Tenant;
let n = 0;

beforeAll(async () => {
  t = await startTestApp({ clock });
  await appClient(t).createTenant("hsec");
  tenant = await t.services.tenants.require("hsec");
});
afterAll(async () => {
  await t.close();
});

const newBrowser = () => new TestBrowser(t.app.request.bind(t.app));

/** A new user signed in with the password on the hosted login page (no second factor yet). */
async function signedIn() {
  const email = `s${++n}@example.com`;
  expect((await appClient(t).signup("hsec", email)).status).toBe(201);
  const browser = newBrowser();
  const login = await (await browser.get("/t/hsec/login")).text();
  const answer = await browser.submit(login, { email, password: GOOD_PASSWORD });
  expect(answer.status).toBe(303);
  expect(browser.cookies.has(SSO)).toBe(true);
  return { browser, email };
}

async function page(browser: TestBrowser, path = SECURITY) {
  const response = await browser.get(path);
  expect(response.status).toBe(200);
  return response.text();
}

/** The key as the setup page shows it (groups of four), spaces taken out. */
function secretOn(html: string): Uint8Array {
  const grouped = /<code class="secret">([A-Z2-7 ]+)<\/code>/.exec(html)?.[1];
  expect(grouped).toMatch(/^([A-Z2-7]{4} )+[A-Z2-7]{1,4}$/);
  return decodeBase32IgnorePadding((grouped ?? "").replaceAll(" ", ""));
}

const codeAt = (secret: Uint8Array, offset = 0) => totpCode(secret, totpStep(clock.now()) + offset);

/** Adds an authenticator app through the pages; resolves its secret and the recovery codes page. */
async function addAuthenticator(browser: TestBrowser) {
  const setup = await browser.submit(await page(browser));
  expect(setup.status).toBe(200);
  const html = await setup.text();
  const secret = secretOn(html);
  // The previous step's code confirms, so a login's code of this step is no replay.
  const done = await browser.submit(html, { code: codeAt(secret, -1) });
  expect(done.status).toBe(200);
  return { secret, codesPage: await done.text() };
}

describe("hosted security page", () => {
  it("adds an authenticator app: QR and key on the page, confirmed with a code, recovery codes once, listed", async () => {
    const { browser, email } = await signedIn();
    const start = await page(browser);
    expect(start).toContain(`Signed in as <bdi>${email}</bdi>.`);
    expect(start).toContain("You have no second factor yet");
    const [add] = formsOf(start);
    expect(add?.action).toBe(`${SECURITY}/totp`);
    expect(Object.keys(add?.fields ?? {})).toEqual(["csrf"]);

    const setup = await browser.submit(start);
    expect(setup.status).toBe(200);
    // The QR code is inline SVG markup: the page still has no script and its CSP allows none.
    expect(setup.headers.get("content-security-policy")).toMatch(/^default-src 'none'; style-src 'self' 'nonce-/);
    expect(setup.headers.get("cache-control")).toBe("no-store");
    const html = await setup.text();
    expect(html).toMatch(/<div class="qr" role="img" aria-label="QR code for your authenticator app"><svg /);
    expect(html).not.toContain("<script");
    const secret = secretOn(html);
    const [confirm] = formsOf(html);
    expect(confirm?.action).toBe(`${SECURITY}/totp/confirm`);
    expect(Object.keys(confirm?.fields ?? {}).sort()).toEqual(["code", "csrf", "id"]);

    const wrong = await browser.submit(html, { code: codeAt(secret) === "000000" ? "111111" : "000000" });
    expect(wrong.status).toBe(400);
    const again = await wrong.text();
    expect(again).toMatch(
      /<input id="field-code" [^>]*aria-invalid="true" aria-describedby="field-code-hint field-code-error"/,
    );
    expect(again).toContain('<span class="field-error" id="field-code-error">That code is wrong or expired');
    expect(again).not.toContain("<svg");

    const done = await browser.submit(again, { code: codeAt(secret) });
    expect(done.status).toBe(200);
    const codesPage = await done.text();
    const codes = [...codesPage.matchAll(/<code>([a-z2-7]{4}(?:-[a-z2-7]{4}){5})<\/code>/g)].map((m) => m[1]);
    expect(codes).toHaveLength(10);
    expect(codesPage).toContain("they will not be shown again");

    const listed = await page(browser);
    expect(listed).toContain("<strong><bdi>Authenticator app</bdi></strong>");
    expect(listed).toContain("Recovery codes left: 10 of 10.");
    expect(listed).not.toContain("Add an authenticator app");
    const user = await t.services.accounts.findByAddress(tenant, email);
    const factors = await t.services.mfa.list(tenant, user?.id ?? "");
    expect(factors.map((f) => f.kind)).toEqual(["totp"]);
    // A recovery code shown on the page works (once) as a second factor.
    await expect(t.services.mfa.verifyCode(tenant, user?.id ?? "", "recovery_code", codes[0] ?? "")).resolves.toBe(
      "otp",
    );
  });

  it("removes a factor only after a sign-in with the second factor; a password-only session gets the step-up page", async () => {
    const { browser, email } = await signedIn();
    const { secret } = await addAuthenticator(browser);
    const listed = await page(browser);
    const [remove] = formsOf(listed);
    expect(remove?.action).toBe(`${SECURITY}/factors/remove`);

    const refused = await browser.submit(listed);
    expect(refused.status).toBe(403);
    const stepUp = await refused.text();
    expect(stepUp).toContain("needs a sign-in with your second factor within the last 5 minutes");
    expect(formsOf(stepUp)[0]?.action).toBe("/t/hsec/logout");
    expect(await page(browser)).toContain("<strong><bdi>Authenticator app</bdi></strong>");

    // Password and code on the hosted login: a session with mfa.
    const again = newBrowser();
    const login = await (await again.get("/t/hsec/login")).text();
    const toMfa = await again.submit(login, { email, password: GOOD_PASSWORD });
    const mfa = await page(again, toMfa.headers.get("location") ?? "");
    expect((await again.submit(mfa, { code: codeAt(secret) })).status).toBe(303);
    const fresh = await page(again);
    const removed = await again.submit(fresh);
    expect(removed.status).toBe(200);
    const after = await removed.text();
    expect(after).toContain("The factor is removed.");
    expect(after).toContain("You have no second factor yet");

    // Five minutes on, the same session no longer counts as recent.
    await addAuthenticator(again);
    clock.advance(5 * 60_000 + 1000);
    const stale = await again.submit(await page(again));
    expect(stale.status).toBe(403);
  });

  it("lets a session from before a required MFA policy add the factor the policy asks for", async () => {
    const { browser } = await signedIn();
    const setPolicy = (policy: string) =>
      t.app.request("/t/hsec/v1/admin/mfa-policy", {
        method: "PUT",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${TEST_ADMIN_KEY}` },
        body: JSON.stringify({ policy }),
      });
    expect((await setPolicy("required")).status).toBe(200);
    try {
      const { codesPage } = await addAuthenticator(browser);
      expect(codesPage).toMatch(/<code>[a-z2-7]{4}(-[a-z2-7]{4}){5}<\/code>/);
    } finally {
      expect((await setPolicy("optional")).status).toBe(200);
    }
  });

  it("refuses each form without this browser's CSRF token", async () => {
    const { browser } = await signedIn();
    const start = await page(browser);
    const forged = { csrf: "forged" };
    expect((await browser.submit(start, forged)).status).toBe(403);
    const setup = await (await browser.submit(start)).text();
    const secret = secretOn(setup);
    const confirm = await browser.submit(setup, { ...forged, code: codeAt(secret) });
    expect(confirm.status).toBe(403);
    expect(await confirm.text()).toContain("<!doctype html>");
    await browser.submit(setup, { code: codeAt(secret) });
    const listed = await page(browser);
    expect((await browser.submit(listed, forged)).status).toBe(403);
    expect(await page(browser)).toContain("<strong><bdi>Authenticator app</bdi></strong>");
  });

  it("without a provider session: the sign-in-first page, and the forms change nothing", async () => {
    const browser = newBrowser();
    const html = await page(browser);
    expect(html).toContain("Sign in first");
    expect(html).toContain('href="/t/hsec/login"');
    expect(formsOf(html)).toEqual([]);
    // A valid CSRF token (from the login page) but no session: still only the sign-in-first page.
    const csrf = formsOf(await page(browser, "/t/hsec/login"))[0]?.fields.csrf ?? "";
    const add = await browser.post(`${SECURITY}/totp`, { csrf });
    expect(add.status).toBe(200);
    const body = await add.text();
    expect(body).toContain("Sign in first");
    expect(body).not.toContain("<svg");
  });
});
