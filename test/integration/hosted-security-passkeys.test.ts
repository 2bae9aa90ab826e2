/**
 * Passkeys on the hosted security page, on real Postgres and Redis with a
 * software authenticator: what the page's script does (creation options with
 * the page's CSRF token, then the credential and its name), the first
 * passkey's recovery codes shown once, the passkey listed, renamed and
 * removed (step-up: after a login whose second step was the passkey).
 * Attacks: no session, a forged CSRF token, spent or another user's options,
 * another user's passkey id.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Tenant } from "../../src/core/ports/database.js";
import { appClient, GOOD_PASSWORD } from "../support/accounts.js";
import { startTestApp, TEST_PUBLIC_URL, type TestApp } from "../support/app.js";
import { formsOf, TestBrowser } from "../support/hosted.js";
import type { PageForm } from "../support/html-forms.js";
import { SoftAuthenticator } from "../support/soft-authenticator.js";

const SECURITY = "/t/hspk/account/security";
const ADD = `${SECURITY}/passkeys`;
const OPTIONS = `${SECURITY}/passkeys/options`;
const SSO = "__Host-sso-hspk";

let t: TestApp;
let tenant: Tenant;
let n = 0;

beforeAll(async () => {
  t = await startTestApp();
  await appClient(t).createTenant("hspk");
  tenant = await t.services.tenants.require("hspk");
});
afterAll(async () => {
  await t.close();
});

const newBrowser = () => new TestBrowser(t.app.request.bind(t.app));

/** Signs `email` in with the password on the hosted login page; resolves the answer. */
async function passwordLogin(browser: TestBrowser, email: string) {
  const login = await (await browser.get("/t/hspk/login")).text();
  return browser.submit(login, { email, password: GOOD_PASSWORD });
}

/** A new user signed in with the password (no second factor yet). */
async function signedIn() {
  const email = `k${++n}@example.com`;
  expect((await appClient(t).signup("hspk", email)).status).toBe(201);
  const browser = newBrowser();
  expect((await passwordLogin(browser, email)).status).toBe(303);
  expect(browser.cookies.has(SSO)).toBe(true);
  return { browser, email };
}

async function page(browser: TestBrowser, path = SECURITY) {
  const response = await browser.get(path);
  expect(response.status).toBe(200);
  return response.text();
}

const formAt = (html: string, action: string, index = 0): PageForm => {
  const form = formsOf(html).filter((f) => f.action === action)[index];
  if (!form) throw new Error(`no form ${action} on the page:\n${html}`);
  return form;
};

type CreationOptions = Parameters<SoftAuthenticator["register"]>[0] & { excludeCredentials?: { id: string }[] };

/** What the script does on "Add a passkey": options for the form, the authenticator's credential, the form posted. */
async function addPasskey(browser: TestBrowser, authenticator: SoftAuthenticator, name = "", changes = {}) {
  const form = formAt(await page(browser), ADD);
  const started = await browser.post(OPTIONS, { ...form.fields, name });
  expect(started.status, await started.clone().text()).toBe(200);
  const { options } = (await started.json()) as { options: CreationOptions };
  const credential = JSON.stringify(await authenticator.register(options, { origin: TEST_PUBLIC_URL }));
  const fields = { ...form.fields, name, credential, ...changes };
  return { answer: await browser.post(ADD, fields), fields, options };
}

/** A new browser signed in with the password, then the passkey on /login/mfa (what its script does): step-up met. */
async function withSecondStep(email: string, authenticator: SoftAuthenticator): Promise<TestBrowser> {
  const fresh = newBrowser();
  const toMfa = await passwordLogin(fresh, email);
  const mfa = await page(fresh, toMfa.headers.get("location") ?? "");
  const form = formAt(mfa, "/t/hspk/login/mfa/passkey");
  const started = (await (await fresh.post("/t/hspk/login/mfa/passkey/options", form.fields)).json()) as {
    challenge_id: string;
    options: { challenge: string; rpId: string };
  };
  const credential = JSON.stringify(await authenticator.assert(started.options, { origin: TEST_PUBLIC_URL }));
  const done = await fresh.post(form.action, { ...form.fields, challenge_id: started.challenge_id, credential });
  expect(done.status).toBe(303);
  return fresh;
}

describe("passkeys on the hosted security page", () => {
  it("adds a passkey with a name: recovery codes once, listed; a second one is just added", async () => {
    const { browser, email } = await signedIn();
    const start = await browser.get(SECURITY);
    expect(start.headers.get("content-security-policy")).toMatch(/script-src 'nonce-[\w-]{22}'; connect-src 'self'/);
    const html = await start.text();
    expect(html).toMatch(/<form method="post" action="\/t\/hspk\/account\/security\/passkeys" hidden="">/);
    expect(html).toContain(`data-options="${OPTIONS}"`);
    expect(Object.keys(formAt(html, ADD).fields).sort()).toEqual(["credential", "csrf", "name"]);

    const first = await SoftAuthenticator.create();
    const { answer } = await addPasskey(browser, first, "Laptop");
    expect(answer.status).toBe(200);
    const codesPage = await answer.text();
    expect(codesPage).toContain("Your passkey is added. If you lose it");
    expect([...codesPage.matchAll(/<code>([a-z2-7]{4}(?:-[a-z2-7]{4}){5})<\/code>/g)]).toHaveLength(10);

    const listed = await page(browser);
    expect(listed).toContain("<strong><bdi>Laptop</bdi></strong>");
    expect(listed).toContain("Recovery codes left: 10 of 10.");
    expect(formAt(listed, `${SECURITY}/factors/remove`).fields.id).toMatch(/^[0-9a-f-]{36}$/);

    // The second passkey needs a sign-in with the first just now (step-up): a stolen session must not add one.
    const second = await SoftAuthenticator.create();
    const stale = await browser.post(OPTIONS, formAt(await page(browser), ADD).fields);
    expect(stale.status).toBe(403);
    expect(((await stale.json()) as { code: string }).code).toBe("step_up_required");
    const staleAdd = await browser.post(ADD, { ...formAt(await page(browser), ADD).fields, credential: "{}" });
    expect(staleAdd.status).toBe(403);
    expect(await staleAdd.text()).toContain("needs a sign-in with your second factor");
    // Its options exclude the first, and no new codes.
    const again = await addPasskey(await withSecondStep(email, first), second);
    expect(again.options.excludeCredentials?.map((c) => c.id)).toEqual([first.credentialId]);
    expect(again.answer.status).toBe(200);
    const after = await again.answer.text();
    expect(after).toContain("Your passkey is added.");
    expect(after).toContain("<strong><bdi>Passkey</bdi></strong>");
    expect(after).toContain("Recovery codes left: 10 of 10.");
    const user = await t.services.accounts.findByAddress(tenant, email);
    const factors = await t.services.mfa.list(tenant, user?.id ?? "");
    expect(factors.map((f) => [f.kind, f.name])).toEqual([
      ["passkey", "Laptop"],
      ["passkey", null],
    ]);
    // An authenticator app is a factor added too: the page's step-up rule, then its setup page.
    const totpForm = (html: string) => formAt(html, `${SECURITY}/totp`).fields;
    const staleTotp = await browser.post(`${SECURITY}/totp`, totpForm(await page(browser)));
    expect(staleTotp.status).toBe(403);
    const stepped = await withSecondStep(email, first);
    const setup = await stepped.post(`${SECURITY}/totp`, totpForm(await page(stepped)));
    expect(setup.status).toBe(200);
    expect(formsOf(await setup.text()).some((f) => f.action === `${SECURITY}/totp/confirm`)).toBe(true);
  });

  it("renames a passkey; refuses an empty or too long name and another user's passkey", async () => {
    const { browser } = await signedIn();
    await addPasskey(browser, await SoftAuthenticator.create(), "Laptop");
    const listed = await page(browser);
    const rename = formAt(listed, `${SECURITY}/passkeys/rename`);
    expect(Object.keys(rename.fields).sort()).toEqual(["csrf", "id", "name"]);
    expect(rename.fields.name).toBe("Laptop");

    const renamed = await browser.post(rename.action, { ...rename.fields, name: "Work laptop" });
    expect(renamed.status).toBe(200);
    const after = await renamed.text();
    expect(after).toContain("The passkey is renamed.");
    expect(after).toContain("<strong><bdi>Work laptop</bdi></strong>");

    for (const name of ["", " ", "x".repeat(101), "two\nlines"]) {
      const refused = await browser.post(rename.action, { ...rename.fields, name });
      expect(refused.status).toBe(400);
      expect(await refused.text()).toContain("A passkey&#39;s name is one line of 1 to 100 characters.");
    }
    // Another signed-in user with this passkey's id: no such passkey for them.
    const other = await signedIn();
    const csrf = formAt(await page(other.browser), ADD).fields.csrf ?? "";
    const foreign = await other.browser.post(rename.action, { id: rename.fields.id ?? "", csrf, name: "Mine" });
    expect(foreign.status).toBe(404);
    expect(foreign.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await page(browser)).toContain("<strong><bdi>Work laptop</bdi></strong>");
  });

  it("removes a passkey only after a login whose second step was that passkey", async () => {
    const { browser, email } = await signedIn();
    const authenticator = await SoftAuthenticator.create();
    await addPasskey(browser, authenticator, "Key");
    const remove = (html: string) => formAt(html, `${SECURITY}/factors/remove`);
    const refused = await browser.post(`${SECURITY}/factors/remove`, remove(await page(browser)).fields);
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain("needs a sign-in with your second factor");

    const fresh = await withSecondStep(email, authenticator);
    const listed = await page(fresh);
    expect(listed).toMatch(
      /<strong><bdi>Key<\/bdi><\/strong> <span class="muted">passkey, added \d{4}-\d{2}-\d{2}, last used \d{4}-/,
    );
    const removed = await fresh.post(`${SECURITY}/factors/remove`, remove(listed).fields);
    expect(removed.status).toBe(200);
    const after = await removed.text();
    expect(after).toContain("The factor is removed.");
    expect(after).toContain("You have no second factor yet");
  });

  it("refuses options and the credential without a session or with a forged CSRF token", async () => {
    const anonymous = newBrowser();
    const csrf = formsOf(await page(anonymous, "/t/hspk/login"))[0]?.fields.csrf ?? "";
    const noSession = await anonymous.post(OPTIONS, { csrf });
    expect(noSession.status).toBe(403);
    expect(noSession.headers.get("content-type")).toBe("application/problem+json");
    const noSessionPost = await anonymous.post(ADD, { csrf, credential: "{}" });
    expect(noSessionPost.status).toBe(200);
    expect(await noSessionPost.text()).toContain("Sign in first");

    const { browser } = await signedIn();
    const form = formAt(await page(browser), ADD);
    expect((await browser.post(OPTIONS, { ...form.fields, csrf: "forged" })).status).toBe(403);
    const forged = await addPasskey(browser, await SoftAuthenticator.create(), "", { csrf: "forged" });
    expect(forged.answer.status).toBe(403);
    expect(await page(browser)).toContain("You have no second factor yet");
  });

  it("refuses spent options, another user's options and a malformed credential", async () => {
    const signed = await signedIn();
    const authenticator = await SoftAuthenticator.create();
    const first = await addPasskey(signed.browser, authenticator, "Once");
    expect(first.answer.status).toBe(200);
    // With a factor now, what follows needs a sign-in with it (step-up), in a browser of its own.
    const browser = await withSecondStep(signed.email, authenticator);
    const fields = { ...first.fields, csrf: formAt(await page(browser), ADD).fields.csrf ?? "" };
    // The same credential again: its challenge is spent.
    const replayed = await browser.post(ADD, fields);
    expect(replayed.status).toBe(400);
    expect(await replayed.text()).toContain("Adding the passkey did not work.");

    // Options fetched by another user's page, answered in this browser: the challenge is not this user's.
    const other = await signedIn();
    const theirs = formAt(await page(other.browser), ADD);
    const started = await other.browser.post(OPTIONS, theirs.fields);
    const { options } = (await started.json()) as { options: CreationOptions };
    const stranger = await SoftAuthenticator.create();
    const credential = JSON.stringify(await stranger.register(options, { origin: TEST_PUBLIC_URL }));
    const crossed = await browser.post(ADD, { ...fields, credential });
    expect(crossed.status).toBe(400);

    for (const bad of ["", "{not json", JSON.stringify({ id: "x", type: "public-key" })]) {
      expect((await browser.post(ADD, { ...fields, credential: bad })).status).toBe(400);
    }
    const tooLong = await addPasskey(browser, await SoftAuthenticator.create(), "x".repeat(101));
    expect(tooLong.answer.status).toBe(400);
    const listed = await page(browser);
    expect(listed.match(/<li>/g)).toHaveLength(1);
  });
});
