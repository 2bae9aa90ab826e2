/**
 * The hosted pages of the mailed links (reset, verify) with real mail: a link
 * is checked when it is opened (a dead one says so at once, and the GET
 * spends nothing), the reset form names its account for password managers,
 * a successful POST redirects to a done page (so a reload shows success, not
 * a spent link), and an email change whose address was taken meanwhile says so.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TokenBody } from "../support/accounts.js";
import type { TestApp } from "../support/app.js";
import { formsOf, TestBrowser } from "../support/hosted.js";
import { type MailTestApp, startMailTestApp } from "../support/mail-app.js";
import { linkToken, type TestSmtpServer } from "../support/smtp-server.js";

const NEW_PASSWORD = "a brand new passphrase 42";
const DEAD = "This link is unknown, already used or expired.";
const ASK_AGAIN = '<a href="/t/acme/password/forgot">Ask for a new link</a>';
let m: MailTestApp;
let smtp: TestSmtpServer;
let t: TestApp;
let api: MailTestApp["api"];

beforeAll(async () => {
  m = await startMailTestApp();
  ({ smtp, t, api } = m);
});
afterAll(async () => {
  await m.close();
});

let n = 0;
const address = (label: string) => `${label}-${n++}@example.com`;
const newBrowser = () => new TestBrowser(t.app.request.bind(t.app));

async function signup(email: string): Promise<TokenBody> {
  const response = await api.signup("acme", email);
  expect(response.status).toBe(201);
  return (await response.json()) as TokenBody;
}

async function resetToken(email: string, nth = 1): Promise<string> {
  expect((await api.forgot("acme", email)).status).toBe(202);
  const mail = await smtp.waitFor((m) => m.to.includes(email) && m.text.includes("/password/reset?token="), { nth });
  return linkToken(mail, "password/reset");
}

const verifyToken = async (email: string) =>
  linkToken(await smtp.waitFor((m) => m.to.includes(email) && m.text.includes("/email/verify?token=")), "email/verify");

/** The page's title and heading (WCAG 2.4.2: a result page's title says what the page says, not the form's). */
function expectTitled(html: string, title: string): void {
  expect(html).toContain(`<title>${title} · \u2068acme\u2069</title>`);
  expect(html).toContain(`<h1>${title}</h1>`);
}

/** The page as text, after checking it is the dead-link page (400, no form). */
async function expectDead(response: Response): Promise<string> {
  expect(response.status).toBe(400);
  const html = await response.text();
  expect(html).toContain(DEAD);
  expect(formsOf(html)).toEqual([]);
  return html;
}

describe("the reset link's page", () => {
  it("names the account for password managers, and opening it spends nothing", async () => {
    const email = address("open");
    await signup(email);
    const token = await resetToken(email);
    const browser = newBrowser();
    for (let i = 0; i < 2; i++) {
      const page = await browser.get(`/t/acme/password/reset?token=${token}`);
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(formsOf(html)[0]?.fields).toEqual({ csrf: expect.any(String), token, username: email, password: "" });
      expect(html).toMatch(
        /<input id="field-username" name="username" type="email" autocomplete="username"[^>]* readonly/,
      );
      expect(html).toContain('<label for="field-username">Email address</label>');
      expect(html).toMatch(/<input id="field-password" name="password" type="password" autocomplete="new-password"/);
    }
    // Still usable, through the JSON API as through the page.
    expect((await api.reset("acme", token, NEW_PASSWORD)).status).toBe(204);
  });

  it("sets the password and redirects to a done page a reload shows again; the link is then dead", async () => {
    const email = address("done");
    await signup(email);
    const token = await resetToken(email);
    const browser = newBrowser();
    const html = await (await browser.get(`/t/acme/password/reset?token=${token}`)).text();

    const weak = await browser.submit(html, { password: "short" });
    expect(weak.status).toBe(400);
    const weakHtml = await weak.text();
    expect(formsOf(weakHtml)[0]?.fields).toMatchObject({ token, username: email });
    expect(weakHtml).toContain(
      '<span class="field-error" id="field-password-error">New password must be at least 8 characters long.</span>',
    );

    const done = await browser.submit(weakHtml, { password: NEW_PASSWORD });
    expect(done.status).toBe(303);
    expect(done.headers.get("location")).toBe("/t/acme/password/reset/done");
    for (let i = 0; i < 2; i++) {
      const shown = await browser.get("/t/acme/password/reset/done");
      expect(shown.status).toBe(200);
      const text = await shown.text();
      expectTitled(text, "Your password is set");
      expect(text).toContain("Your password is set.");
      expect(text).toContain('<a href="/t/acme/login">Sign in</a>');
    }
    expect((await api.login("acme", email, NEW_PASSWORD)).status).toBe(200);

    // The same form sent again (a double submit) and the link opened again: dead, with the way to a new one.
    expect(await expectDead(await browser.submit(weakHtml, { password: "yet another long passphrase" }))).toContain(
      ASK_AGAIN,
    );
    expect(await expectDead(await browser.get(`/t/acme/password/reset?token=${token}`))).toContain(ASK_AGAIN);
    expect((await api.login("acme", email, NEW_PASSWORD)).status).toBe(200);
  });

  it("is dead at once when expired, of another tenant, or a verification link; none of these spends it", async () => {
    const email = address("expired");
    await signup(email);
    const verification = await verifyToken(email);
    const token = await resetToken(email);
    const browser = newBrowser();
    expect(await expectDead(await browser.get(`/t/other/password/reset?token=${token}`))).toContain(
      '<a href="/t/other/password/forgot">Ask for a new link</a>',
    );
    await expectDead(await browser.get(`/t/acme/password/reset?token=${verification}`));
    await expectDead(await browser.get(`/t/acme/email/verify?token=${token}`));
    m.advance(30 * 60_000 + 1_000);
    try {
      expect(await expectDead(await browser.get(`/t/acme/password/reset?token=${token}`))).toContain(ASK_AGAIN);
    } finally {
      m.advance(0);
    }
    expect((await browser.get(`/t/acme/password/reset?token=${token}`)).status).toBe(200);
    expect((await browser.get(`/t/acme/email/verify?token=${verification}`)).status).toBe(200);
  });
});

describe("the forgotten-password page", () => {
  it("answers a sent link with a redirect to a page titled for it, which a reload shows again", async () => {
    const email = address("forgot");
    await signup(email);
    const browser = newBrowser();
    const html = await (await browser.get("/t/acme/password/forgot")).text();
    expectTitled(html, "Reset your password");
    const posted = await browser.submit(html, { email });
    expect(posted.status).toBe(303);
    expect(posted.headers.get("location")).toBe("/t/acme/password/forgot/sent");
    const sent = await browser.get("/t/acme/password/forgot/sent");
    expect(sent.status).toBe(200);
    const text = await sent.text();
    expectTitled(text, "Check your email");
    expect(text).toContain("a link to reset its password is on its way");
  });
});

describe("the verification link's page", () => {
  it("verifies on POST and redirects to a done page a reload shows again; the link is then dead", async () => {
    const email = address("verify");
    const signed = await signup(email);
    const token = await verifyToken(email);
    const browser = newBrowser();
    const page = await browser.get(`/t/acme/email/verify?token=${token}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    // Opening it changed nothing.
    const me = async () => (await (await api.me("acme", signed.access_token)).json()) as { email_verified: boolean };
    expect((await me()).email_verified).toBe(false);

    const done = await browser.submit(html);
    expect(done.status).toBe(303);
    expect(done.headers.get("location")).toBe("/t/acme/email/verify/done");
    for (let i = 0; i < 2; i++) {
      const shown = await browser.get("/t/acme/email/verify/done");
      expect(shown.status).toBe(200);
      const text = await shown.text();
      expectTitled(text, "Email address confirmed");
      expect(text).toContain("your email address is confirmed");
    }
    expect((await me()).email_verified).toBe(true);

    expect(await expectDead(await browser.submit(html))).not.toContain("/password/forgot");
    expect(await expectDead(await browser.get(`/t/acme/email/verify?token=${token}`))).toContain(
      "ask the application for a new link",
    );
  });

  it("is dead at once when expired, and opening it spends nothing", async () => {
    const email = address("late");
    await signup(email);
    const token = await verifyToken(email);
    const browser = newBrowser();
    m.advance(24 * 3_600_000 + 1_000);
    try {
      await expectDead(await browser.get(`/t/acme/email/verify?token=${token}`));
    } finally {
      m.advance(0);
    }
    expect((await browser.get(`/t/acme/email/verify?token=${token}`)).status).toBe(200);
    expect((await api.verifyEmail("acme", token)).status).toBe(200);
  });

  it("says that the new address of an email change is now another account's (409)", async () => {
    const user = await signup(address("mover"));
    const target = address("contested");
    expect((await api.changeEmail("acme", user.access_token, target)).status).toBe(202);
    const token = await verifyToken(target);
    await signup(target);
    const browser = newBrowser();
    const page = await browser.get(`/t/acme/email/verify?token=${token}`);
    expect(page.status).toBe(200);
    const taken = await browser.submit(await page.text());
    expect(taken.status).toBe(409);
    const html = await taken.text();
    expect(html).toContain("This email address is now used by another account");
    expect(html).not.toContain("The request could not be handled.");
    const me = (await (await api.me("acme", user.access_token)).json()) as { email: string };
    expect(me.email).not.toBe(target);
  });
});
