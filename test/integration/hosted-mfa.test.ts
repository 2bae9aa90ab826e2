/**
 * The hosted login's second step on real Postgres and Redis: password, then
 * /login/mfa with a TOTP or recovery code, then the code at the client with
 * amr/acr of a second factor; the step cannot be skipped, its form needs the
 * browser's CSRF token and challenge; acr_values forces it on a password-only
 * session (login_required under prompt=none).
 */
import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { totpCode, totpStep } from "../../src/core/mfa/totp.js";
import type { Tenant } from "../../src/core/ports/database.js";
import { appClient, GOOD_PASSWORD } from "../support/accounts.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { FORM_HEADERS, formsOf, pkce, registerClient, TestBrowser } from "../support/hosted.js";
import { pinnedClock } from "../support/key-ring.js";

const PORTAL = "https://portal.example/cb";
const ORIGIN = "http://localhost";
const SSO = "__Host-sso-hmfa";
const clock = pinnedClock(Date.UTC(2026, 10, 2, 9));

let t: TestApp;
let api: ReturnType<typeof appClient>;
let tenant: Tenant;
let clientId: string;
let n = 0;

beforeAll(async () => {
  t = await startTestApp({ clock });
  api = appClient(t);
  await api.createTenant("hmfa");
  tenant = await t.services.tenants.require("hmfa");
  clientId = (
    await registerClient(t.app.request.bind(t.app), "hmfa", {
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

async function newUser() {
  const email = `h${++n}@example.com`;
  const signup = await api.signup("hmfa", email);
  expect(signup.status).toBe(201);
  return email;
}

/** Gives the user a confirmed TOTP authenticator; resolves its secret and recovery codes. */
async function enroll(email: string) {
  const user = await t.services.accounts.findByAddress(tenant, email);
  if (!user) throw new Error("no user");
  const enrollment = await t.services.mfa.enrollTotp(tenant, user);
  const secret = decodeBase32IgnorePadding(enrollment.secret);
  // The confirming code is of the previous step, so the login's code (this step) is not a replay.
  const first = totpCode(secret, totpStep(clock.now()) - 1);
  const { recoveryCodes } = await t.services.mfa.confirmTotp(tenant, user.id, enrollment.id, first, "net");
  return { secret, recoveryCodes: recoveryCodes ?? [] };
}

const authorizeUrl = (extra: Record<string, string> = {}) =>
  `/t/hmfa/authorize?${new URLSearchParams({
    response_type: "code",
    client_id: clientId,
    redirect_uri: PORTAL,
    scope: "openid",
    state: "st",
    nonce: "nc",
    code_challenge: challenge,
    code_challenge_method: "S256",
    ...extra,
  })}`;

/** Starts an authorization request and submits the password; resolves the answer to the login form. */
async function password(browser: TestBrowser, email: string, extra: Record<string, string> = {}) {
  const login = await browser.follow(await browser.get(authorizeUrl(extra)), ORIGIN);
  expect(login.status).toBe(200);
  return browser.submit(await login.text(), { email, password: GOOD_PASSWORD });
}

/** The code at the client's redirect URI, or null when the response is not one. */
function codeOf(response: Response): string | null {
  const location = response.headers.get("location") ?? "";
  return location.startsWith(PORTAL) ? new URL(location).searchParams.get("code") : null;
}

async function redeem(code: string) {
  const response = await t.app.request("/t/hmfa/oauth2/token", {
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
  const body = (await response.json()) as { id_token: string; access_token: string };
  return { id: decodeJwt(body.id_token), access: decodeJwt(body.access_token) };
}

/** From the password's answer to the second step's page; the browser's session cookie is as it was. */
async function mfaPage(browser: TestBrowser, afterPassword: Response, sessionBefore?: string) {
  expect(afterPassword.status).toBe(303);
  expect(afterPassword.headers.get("location")).toMatch(
    /^\/t\/hmfa\/login\/mfa\?request=[\w-]{43}&challenge=[\w-]{43}$/,
  );
  expect(browser.cookies.get(SSO)).toBe(sessionBefore);
  const page = await browser.get(afterPassword.headers.get("location") ?? "");
  expect(page.status).toBe(200);
  return page.text();
}

const currentCode = (secret: Uint8Array) => totpCode(secret, totpStep(clock.now()));

describe("hosted second step", () => {
  it("password, a wrong code (400 page), the right code: a code whose tokens carry amr mfa and acr", async () => {
    const email = await newUser();
    const { secret } = await enroll(email);
    const browser = newBrowser();
    const html = await mfaPage(browser, await password(browser, email));
    expect(html).toContain('autocomplete="one-time-code"');
    expect(html).toContain('inputmode="numeric"');
    const [form] = formsOf(html);
    expect(form?.action).toBe("/t/hmfa/login/mfa");
    expect(Object.keys(form?.fields ?? {}).sort()).toEqual(["challenge", "code", "csrf", "request", "type"]);
    expect(html).toContain("Use a recovery code instead");

    const wrong = await browser.submit(html, { code: "000000" === currentCode(secret) ? "111111" : "000000" });
    expect(wrong.status).toBe(400);
    const again = await wrong.text();
    // The code field's own error, as on the other forms: invalid, and described by the message.
    expect(again).toMatch(
      /<input id="field-code" [^>]*aria-invalid="true" aria-describedby="field-code-hint field-code-error"/,
    );
    expect(again).toContain('<span class="field-error" id="field-code-error">That code is wrong');
    expect(again).toContain('<div class="alert error" role="alert">Some fields need attention.</div>');
    expect(browser.cookies.has(SSO)).toBe(false);

    const right = await browser.submit(again, { code: currentCode(secret) });
    expect(browser.cookies.has(SSO)).toBe(true);
    const code = codeOf(right);
    expect(code).not.toBeNull();
    const { id, access } = await redeem(code ?? "");
    expect(id.amr).toEqual(["pwd", "otp", "mfa"]);
    expect(id.acr).toBe("urn:authority:mfa");
    expect(access.amr).toEqual(["pwd", "otp", "mfa"]);
    expect(access.acr).toBe("urn:authority:mfa");
  });

  it("takes a recovery code on the recovery form; the same code does not work twice", async () => {
    const email = await newUser();
    const { recoveryCodes } = await enroll(email);
    const recovery = recoveryCodes[0] ?? "";
    const browser = newBrowser();
    const html = await mfaPage(browser, await password(browser, email));
    const link = /href="([^"]*kind=recovery_code[^"]*)"/.exec(html)?.[1]?.replaceAll("&amp;", "&") ?? "";
    const recoveryPage = await (await browser.get(link)).text();
    expect(formsOf(recoveryPage)[0]?.fields.type).toBe("recovery_code");
    expect(recoveryPage).not.toContain('inputmode="numeric"');
    const { id } = await redeem(codeOf(await browser.submit(recoveryPage, { code: recovery })) ?? "");
    expect(id.amr).toEqual(["pwd", "otp", "mfa"]);

    const other = newBrowser();
    const second = await mfaPage(other, await password(other, email));
    const recoveryForm = formsOf(second)[0]?.fields ?? {};
    const reused = await other.post("/t/hmfa/login/mfa", { ...recoveryForm, type: "recovery_code", code: recovery });
    expect(reused.status).toBe(400);
    expect(other.cookies.has(SSO)).toBe(false);
  });

  it("cannot be skipped: back to /authorize, no challenge, another browser's challenge, a forged CSRF token", async () => {
    const email = await newUser();
    const { secret } = await enroll(email);
    const browser = newBrowser();
    const html = await mfaPage(browser, await password(browser, email));
    const fields = formsOf(html)[0]?.fields ?? {};

    // Straight back to the authorization endpoint: the login form again, no code.
    const back = await browser.get(authorizeUrl());
    expect(back.status).toBe(302);
    expect(back.headers.get("location")).toMatch(/^\/t\/hmfa\/login\?request=/);

    const noChallenge = await browser.post("/t/hmfa/login/mfa", {
      ...fields,
      challenge: "",
      code: currentCode(secret),
    });
    expect(noChallenge.status).toBe(400);
    expect(await noChallenge.text()).toContain("Sign in again");
    expect(codeOf(noChallenge)).toBeNull();

    const forged = await browser.post("/t/hmfa/login/mfa", { ...fields, csrf: "forged", code: currentCode(secret) });
    expect(forged.status).toBe(403);

    // Another browser with the page's challenge (its own CSRF token): the challenge is bound to the first.
    const thief = newBrowser();
    const thiefCsrf = formsOf(await (await thief.get("/t/hmfa/login")).text())[0]?.fields.csrf ?? "";
    const stolen = await thief.post("/t/hmfa/login/mfa", {
      challenge: fields.challenge ?? "",
      csrf: thiefCsrf,
      type: "totp",
      code: currentCode(secret),
    });
    expect(stolen.status).toBe(400);
    expect(thief.cookies.has(SSO)).toBe(false);
    expect(browser.cookies.has(SSO)).toBe(false);

    // None of that spent the challenge: the right code in the right browser still works.
    expect(codeOf(await browser.submit(html, { code: currentCode(secret) }))).not.toBeNull();
  });

  it("ends the challenge after 5 wrong codes; the account's throttle then answers a 429 page with Retry-After", async () => {
    const email = await newUser();
    const { secret } = await enroll(email);
    const browser = newBrowser();
    const html = await mfaPage(browser, await password(browser, email));
    // One client network (the test app gives each request another otherwise), so the per-network backoff applies.
    const submit = (page: string, code: string) =>
      browser.post(
        "/t/hmfa/login/mfa",
        { ...formsOf(page)[0]?.fields, code },
        { ...FORM_HEADERS, "x-test-client-ip": "203.0.113.7" },
      );
    const wrong = currentCode(secret) === "000000" ? "111111" : "000000";
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await submit(html, wrong)).status);
    expect(statuses).toEqual([400, 400, 400, 400, 400]);
    const dead = await submit(html, currentCode(secret));
    expect(dead.status).toBe(400);
    expect(await dead.text()).toContain("Sign in again");

    const next = await mfaPage(browser, await password(browser, email));
    const throttled = await submit(next, currentCode(secret));
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await throttled.text()).toContain('name="code"');
    clock.advance(2_000);
    expect(codeOf(await submit(next, currentCode(secret)))).not.toBeNull();
  });

  it("acr_values urn:authority:mfa sends a password-only session through the factor; prompt=none: login_required", async () => {
    const email = await newUser();
    const browser = newBrowser();
    // Signed in before the factor existed: a session with amr ["pwd"].
    const first = await redeem(codeOf(await password(browser, email)) ?? "");
    expect(first.id.acr).toBe("urn:authority:pwd");
    const { secret } = await enroll(email);

    const silent = await browser.get(authorizeUrl({ acr_values: "urn:authority:mfa", prompt: "none" }));
    expect(new URL(silent.headers.get("location") ?? "").searchParams.get("error")).toBe("login_required");
    // Without acr_values the session does.
    expect(codeOf(await browser.get(authorizeUrl()))).not.toBeNull();

    const weak = browser.cookies.get(SSO);
    const afterPassword = await password(browser, email, { acr_values: "urn:authority:mfa" });
    const html = await mfaPage(browser, afterPassword, weak);
    const { id } = await redeem(codeOf(await browser.submit(html, { code: currentCode(secret) })) ?? "");
    expect(id.acr).toBe("urn:authority:mfa");
    // The new session now meets it without a page.
    const after = await browser.get(authorizeUrl({ acr_values: "urn:authority:mfa", prompt: "none" }));
    expect(codeOf(after)).not.toBeNull();
  });

  it("a user without a factor meets acr_values with what the login achieved: the ID token says pwd", async () => {
    const email = await newUser();
    const browser = newBrowser();
    const answer = await password(browser, email, { acr_values: "urn:authority:mfa" });
    const { id } = await redeem(codeOf(answer) ?? "");
    expect(id.acr).toBe("urn:authority:pwd");
    expect(id.amr).toEqual(["pwd"]);
  });
});
