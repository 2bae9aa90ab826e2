/**
 * A passkey as the hosted login's second step, on real Postgres and Redis
 * with a software authenticator: /login/mfa offers it (the script's form,
 * hidden without JavaScript) when the user has one; what the script does
 * (options for the held challenge, then the assertion) ends at the client
 * with amr pwd+hwk+mfa. Attacks: no or another browser's challenge, a forged
 * CSRF token, another authenticator, spent options replayed; refusals cost
 * attempts like wrong codes.
 */
import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { totpCode, totpStep } from "../../src/core/mfa/totp.js";
import type { Tenant } from "../../src/core/ports/database.js";
import { appClient, GOOD_PASSWORD, JSON_HEADERS, type TokenBody } from "../support/accounts.js";
import { startTestApp, TEST_PUBLIC_URL, type TestApp } from "../support/app.js";
import { formsOf, pkce, registerClient, TestBrowser } from "../support/hosted.js";
import type { PageForm } from "../support/html-forms.js";
import { SoftAuthenticator } from "../support/soft-authenticator.js";

const PORTAL = "https://portal.example/cb";
const ORIGIN = TEST_PUBLIC_URL;
const SSO = "__Host-sso-hmpk";
const OPTIONS = "/t/hmpk/login/mfa/passkey/options";

let t: TestApp;
let api: ReturnType<typeof appClient>;
let tenant: Tenant;
let clientId: string;
let n = 0;

beforeAll(async () => {
  t = await startTestApp();
  api = appClient(t);
  await api.createTenant("hmpk");
  tenant = await t.services.tenants.require("hmpk");
  clientId = (
    await registerClient(t.app.request.bind(t.app), "hmpk", {
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
type Options = { challenge: string; rpId: string; allowCredentials?: { id: string }[] };

/** A new user (password) with a passkey on `authenticator`, registered through the JSON API. */
async function userWithPasskey(authenticator: SoftAuthenticator) {
  const email = `m${++n}@example.com`;
  const signup = await api.signup("hmpk", email);
  const user = (await signup.json()) as TokenBody & { user: { id: string } };
  const bearer = { ...JSON_HEADERS, Authorization: `Bearer ${user.access_token}` };
  const answer = await api.post("/t/hmpk/v1/mfa/passkeys/registration/options", {}, bearer);
  const options = (await answer.json()) as Parameters<SoftAuthenticator["register"]>[0];
  const registered = await api.post(
    "/t/hmpk/v1/mfa/passkeys/registration",
    { response: await authenticator.register(options, { origin: ORIGIN }) },
    bearer,
  );
  expect(registered.status, await registered.clone().text()).toBe(201);
  return { email, id: user.user.id };
}

const authorizeUrl = () =>
  `/t/hmpk/authorize?${new URLSearchParams({
    response_type: "code",
    client_id: clientId,
    redirect_uri: PORTAL,
    scope: "openid",
    state: "st",
    nonce: "nc",
    code_challenge: challenge,
    code_challenge_method: "S256",
  })}`;

/** An authorization request, the password, then the second step's page; resolves its answer and HTML. */
async function secondStep(browser: TestBrowser, email: string) {
  const login = await browser.follow(await browser.get(authorizeUrl()), ORIGIN);
  const afterPassword = await browser.submit(await login.text(), { email, password: GOOD_PASSWORD });
  expect(afterPassword.status).toBe(303);
  expect(afterPassword.headers.get("location")).toMatch(
    /^\/t\/hmpk\/login\/mfa\?request=[\w-]{43}&challenge=[\w-]{43}$/,
  );
  const page = await browser.get(afterPassword.headers.get("location") ?? "");
  expect(page.status).toBe(200);
  return { response: page, html: await page.text() };
}

const passkeyForm = (html: string): PageForm => {
  const form = formsOf(html).find((f) => f.action === "/t/hmpk/login/mfa/passkey");
  if (!form) throw new Error(`no passkey form on the page:\n${html}`);
  return form;
};

/** What the script does on a click: the form's fields for options, then the authenticator's assertion. */
async function usePasskey(browser: TestBrowser, html: string, authenticator: SoftAuthenticator, changes = {}) {
  const form = passkeyForm(html);
  const started = await browser.post(OPTIONS, form.fields);
  expect(started.status, await started.clone().text()).toBe(200);
  const { challenge_id, options } = (await started.json()) as { challenge_id: string; options: Options };
  const credential = JSON.stringify(await authenticator.assert(options, { origin: ORIGIN }));
  const fields: Record<string, string> = { ...form.fields, challenge_id, credential, ...changes };
  return { answer: await browser.post(form.action, fields), fields, options };
}

async function idTokenOf(response: Response) {
  expect(response.status, await response.clone().text()).toBe(303);
  const location = new URL(response.headers.get("location") ?? "");
  expect(`${location.origin}${location.pathname}`).toBe(PORTAL);
  const token = await t.app.request("/t/hmpk/oauth2/token", {
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

describe("a passkey as the hosted second step", () => {
  it("offers the passkey (script by nonce, form hidden without it) and the recovery code form; amr pwd+hwk+mfa", async () => {
    const authenticator = await SoftAuthenticator.create();
    const { email, id } = await userWithPasskey(authenticator);
    const browser = newBrowser();
    const { response, html } = await secondStep(browser, email);
    const csp = response.headers.get("content-security-policy") ?? "";
    const nonce = /script-src 'nonce-([A-Za-z0-9_-]{22})'/.exec(csp)?.[1];
    expect(nonce).toBeDefined();
    expect(csp).not.toContain("unsafe-inline");
    expect(html).toMatch(new RegExp(`<script src="/assets/passkey\\.js\\?v=[0-9a-f]{8}" nonce="${nonce}"`));
    expect(html).toMatch(/<form method="post" action="\/t\/hmpk\/login\/mfa\/passkey" hidden="">/);
    expect(html).toContain('data-options="/t/hmpk/login/mfa/passkey/options"');
    expect(Object.keys(passkeyForm(html).fields).sort()).toEqual([
      "challenge",
      "challenge_id",
      "credential",
      "csrf",
      "request",
    ]);
    // No authenticator app: the code form takes a recovery code, and there is nothing to switch to.
    const codeForm = formsOf(html).find((f) => f.action === "/t/hmpk/login/mfa");
    expect(codeForm?.fields.type).toBe("recovery_code");
    expect(html).not.toContain("Use your authenticator app instead");

    const { answer, options } = await usePasskey(browser, html, authenticator);
    expect(options.allowCredentials?.map((c) => c.id)).toEqual([authenticator.credentialId]);
    expect(browser.cookies.has(SSO)).toBe(true);
    expect(await idTokenOf(answer)).toMatchObject({ sub: id, amr: ["pwd", "hwk", "mfa"], acr: "urn:authority:mfa" });
  });

  it("with an authenticator app too: both ways on one page, the code still works", async () => {
    const authenticator = await SoftAuthenticator.create({ synced: true });
    const { email, id } = await userWithPasskey(authenticator);
    const user = await t.services.accounts.findUser(tenant, id);
    if (!user) throw new Error("no user");
    const enrollment = await t.services.mfa.enrollTotp(tenant, user);
    const secret = decodeBase32IgnorePadding(enrollment.secret);
    const step = totpStep(new Date());
    await t.services.mfa.confirmTotp(tenant, id, enrollment.id, totpCode(secret, step - 1), "net");

    const browser = newBrowser();
    const { html } = await secondStep(browser, email);
    passkeyForm(html);
    const codeForm = formsOf(html).find((f) => f.action === "/t/hmpk/login/mfa");
    expect(codeForm?.fields.type).toBe("totp");
    const answer = await browser.post(codeForm?.action ?? "", { ...codeForm?.fields, code: totpCode(secret, step) });
    expect((await idTokenOf(answer)).amr).toEqual(["pwd", "otp", "mfa"]);

    // A synced passkey says swk.
    const other = newBrowser();
    const { answer: withPasskey } = await usePasskey(other, (await secondStep(other, email)).html, authenticator);
    expect((await idTokenOf(withPasskey)).amr).toEqual(["pwd", "swk", "mfa"]);
  });

  it("refuses options without a held challenge, with a forged CSRF token, for another browser's challenge", async () => {
    const authenticator = await SoftAuthenticator.create();
    const { email } = await userWithPasskey(authenticator);
    const browser = newBrowser();
    const { html } = await secondStep(browser, email);
    const fields = passkeyForm(html).fields;

    const none = await browser.post(OPTIONS, { ...fields, challenge: "" });
    expect(none.status).toBe(401);
    expect(none.headers.get("content-type")).toBe("application/problem+json");
    expect(((await none.json()) as { code: string }).code).toBe("invalid_mfa_token");
    expect((await browser.post(OPTIONS, { ...fields, csrf: "forged" })).status).toBe(403);

    // Another browser with the page's challenge and its own CSRF token: the challenge is bound to the first.
    const thief = newBrowser();
    const thiefCsrf = formsOf(await (await thief.get("/t/hmpk/login")).text())[0]?.fields.csrf ?? "";
    const stolen = await thief.post(OPTIONS, { challenge: fields.challenge ?? "", csrf: thiefCsrf });
    expect(stolen.status).toBe(401);

    // None of that spent anything: the page still works.
    expect((await idTokenOf((await usePasskey(browser, html, authenticator)).answer)).amr).toContain("hwk");
  });

  it("refuses the assertion post without the challenge, with a forged CSRF token, in another browser", async () => {
    const authenticator = await SoftAuthenticator.create();
    const { email } = await userWithPasskey(authenticator);
    const browser = newBrowser();
    const { html } = await secondStep(browser, email);

    const forged = await usePasskey(browser, html, authenticator, { csrf: "forged" });
    expect(forged.answer.status).toBe(403);
    expect(forged.answer.headers.get("content-type")).toMatch(/^text\/html/);
    const none = await usePasskey(browser, html, authenticator, { challenge: "" });
    expect(none.answer.status).toBe(400);
    expect(await none.answer.text()).toContain("Sign in again");

    // The thief's post of a right assertion with the stolen reference: no session for them, the challenge stays.
    const { fields } = await usePasskey(browser, html, authenticator, { challenge: "" });
    const thief = newBrowser();
    const thiefCsrf = formsOf(await (await thief.get("/t/hmpk/login")).text())[0]?.fields.csrf ?? "";
    // Without the request id: another browser's would stop it before the challenge.
    const stolen = await thief.post(passkeyForm(html).action, {
      challenge: passkeyForm(html).fields.challenge ?? "",
      challenge_id: fields.challenge_id ?? "",
      credential: fields.credential ?? "",
      csrf: thiefCsrf,
    });
    expect(stolen.status).toBe(400);
    expect(await stolen.text()).toContain("Sign in again");
    expect(thief.cookies.has(SSO)).toBe(false);
    expect(browser.cookies.has(SSO)).toBe(false);

    expect((await idTokenOf((await usePasskey(browser, html, authenticator)).answer)).amr).toContain("hwk");
  });

  it("refuses another authenticator and replayed options, each an attempt; after five the challenge is dead", async () => {
    const authenticator = await SoftAuthenticator.create();
    const { email } = await userWithPasskey(authenticator);

    // A right assertion's options and answer, spent by its login.
    const first = newBrowser();
    const spent = await usePasskey(first, (await secondStep(first, email)).html, authenticator);
    expect(spent.answer.status).toBe(303);

    const browser = newBrowser();
    const { html } = await secondStep(browser, email);
    const form = passkeyForm(html);
    const replay = { challenge_id: spent.fields.challenge_id ?? "", credential: spent.fields.credential ?? "" };
    const replayed = await browser.post(form.action, { ...form.fields, ...replay });
    expect(replayed.status).toBe(401);
    const page = await replayed.text();
    expect(page).toContain("Verifying with your passkey did not work.");
    expect(formsOf(page).some((f) => f.action === form.action)).toBe(true);

    // Malformed posts are no attempt at all.
    for (const credential of ["", "{not json", JSON.stringify({ id: "x", type: "public-key" })]) {
      expect((await browser.post(form.action, { ...form.fields, challenge_id: "x", credential })).status).toBe(400);
    }

    const stranger = await SoftAuthenticator.create();
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await usePasskey(browser, html, stranger)).answer.status);
    expect(statuses).toEqual([401, 401, 401, 401]);
    expect(browser.cookies.has(SSO)).toBe(false);

    // Five refusals (the replay and four strangers): the right passkey now finds the challenge gone.
    expect((await browser.post(OPTIONS, form.fields)).status).toBe(401);
    const late = await browser.post(form.action, { ...form.fields, ...replay, challenge_id: "any" });
    expect(late.status).toBe(400);
    expect(await late.text()).toContain("Sign in again");
    expect(browser.cookies.has(SSO)).toBe(false);
  });

  it("a user without a passkey gets no passkey form and no options", async () => {
    const email = `m${++n}@example.com`;
    await api.signup("hmpk", email);
    const user = await t.services.accounts.findByAddress(tenant, email);
    if (!user) throw new Error("no user");
    const enrollment = await t.services.mfa.enrollTotp(tenant, user);
    const secret = decodeBase32IgnorePadding(enrollment.secret);
    await t.services.mfa.confirmTotp(tenant, user.id, enrollment.id, totpCode(secret, totpStep(new Date())), "net");
    const browser = newBrowser();
    const { response, html } = await secondStep(browser, email);
    expect(html).not.toContain("/login/mfa/passkey");
    // Only the form guard: no passkey script, and nothing the page may fetch.
    expect([...html.matchAll(/<script src="([^"?]+)/g)].map((m) => m[1])).toEqual(["/assets/forms.js"]);
    expect(response.headers.get("content-security-policy")).not.toContain("connect-src");
    const fields = formsOf(html)[0]?.fields ?? {};
    expect((await browser.post(OPTIONS, fields)).status).toBe(401);
  });
});
