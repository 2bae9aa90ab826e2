import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GOOD_PASSWORD, type TokenBody } from "../support/accounts.js";
import { TEST_ADMIN_KEY, TEST_PUBLIC_URL, type TestApp } from "../support/app.js";
import { PNG, startImageServer } from "../support/image-server.js";
import { type MailTestApp, startMailTestApp } from "../support/mail-app.js";
import { expectProblem, readAnswer } from "../support/problem.js";
import { linkToken, type TestSmtpServer } from "../support/smtp-server.js";

let m: MailTestApp;
let smtp: TestSmtpServer;
let t: TestApp;
let api: MailTestApp["api"];
let db: MailTestApp["db"];

beforeAll(async () => {
  m = await startMailTestApp();
  ({ smtp, t, api, db } = m);
});
afterAll(async () => {
  await m.close();
});

let n = 0;
const address = (label: string) => `${label}-${n++}@example.com`;
type Signed = TokenBody & { user: { id: string; email_verified: boolean } };

async function signup(email: string, tenant = "acme", name?: string): Promise<Signed> {
  const response = await api.signup(tenant, email, GOOD_PASSWORD, name);
  expect(response.status).toBe(201);
  return (await response.json()) as Signed;
}

const verifyMail = (email: string, nth = 1) =>
  smtp.waitFor((m) => m.to.includes(email) && m.text.includes("/email/verify?token="), { nth });
const settle = async () => {
  await t.services.background.drain();
  await t.services.mailOutbox?.drain();
};
const mailsTo = async (email: string) => (await smtp.received()).filter((m) => m.to.includes(email));

describe("verification", () => {
  it("mails a link at signup; the link verifies the address once", async () => {
    const email = address("verify");
    const user = await signup(email);
    expect(user.user.email_verified).toBe(false);
    const mail = await verifyMail(email);
    expect(mail.from).toContain("accounts@acme.test");
    expect(mail.text).toContain(`${TEST_PUBLIC_URL}/t/acme/email/verify?token=`);
    expect(mail.subject).toContain("acme");
    const token = linkToken(mail, "email/verify");

    const verified = await readAnswer(await api.verifyEmail("acme", token));
    expect(verified.status).toBe(200);
    expect(verified.json).toMatchObject({ id: user.user.id, sub: user.user.id, email, email_verified: true });
    expect(verified.headers.get("cache-control")).toBe("no-store");
    expect(((await (await api.me("acme", user.access_token)).json()) as Signed["user"]).email_verified).toBe(true);
    expectProblem(await readAnswer(await api.verifyEmail("acme", token)), 400, "invalid_token");
  });

  it("sends another link on request, and nothing once the address is verified", async () => {
    const email = address("again");
    const user = await signup(email);
    await verifyMail(email);
    expect((await api.requestVerification("acme", user.access_token)).status).toBe(202);
    const second = linkToken(await verifyMail(email, 2), "email/verify");
    // The older link still works too: a newer one does not cancel it.
    const first = linkToken(await verifyMail(email, 1), "email/verify");
    expect((await api.verifyEmail("acme", first)).status).toBe(200);
    expect((await api.verifyEmail("acme", second)).status).toBe(200);
    expect((await api.requestVerification("acme", user.access_token)).status).toBe(202);
    await settle();
    expect((await mailsTo(email)).length).toBe(2);
  });

  it("refuses other tenants' and expired tokens, without spending them", async () => {
    const email = address("tenant");
    await signup(email);
    const token = linkToken(await verifyMail(email), "email/verify");
    expectProblem(await readAnswer(await api.verifyEmail("other", token)), 400, "invalid_token");
    m.advance(24 * 3_600_000 + 1_000);
    try {
      expectProblem(await readAnswer(await api.verifyEmail("acme", token)), 400, "invalid_token");
    } finally {
      m.advance(0);
    }
    expect((await api.verifyEmail("acme", token)).status).toBe(200);
  });

  it("needs a bearer token to ask for a link, and refuses a malformed body", async () => {
    expect((await api.post("/t/acme/v1/email/verification", {})).status).toBe(401);
    expectProblem(await readAnswer(await api.post("/t/acme/v1/email/verify", { token: 42 })), 400, "validation_failed");
    expectProblem(await readAnswer(await api.post("/t/acme/v1/email/verify", {})), 400, "validation_failed");
  });

  it("limits the links one address can be sent", async () => {
    const email = address("bomb");
    const user = await signup(email);
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await api.requestVerification("acme", user.access_token)).status);
    // One was sent at signup: four more, then 429.
    expect(statuses).toEqual([202, 202, 202, 202, 429, 429]);
    await settle();
    expect((await mailsTo(email)).length).toBe(5);
  });

  it("escapes HTML in the user's and the tenant's names", async () => {
    const evil = `<img src=x onerror="alert(1)">`;
    const created = await api.post(
      "/v1/admin/tenants",
      { slug: "evil-co", name: `Evil <script>alert(2)</script> & Co` },
      { "Content-Type": "application/json", Authorization: `Bearer ${TEST_ADMIN_KEY}` },
    );
    expect(created.status).toBe(201);
    const email = address("html");
    await signup(email, "evil-co", evil);
    const mail = await verifyMail(email);
    expect(mail.html).not.toContain("<script>");
    expect(mail.html).not.toContain("<img src=x");
    expect(mail.html).toContain("&lt;script&gt;");
    expect(mail.text).toContain("Evil <script>alert(2)</script> & Co");
  });

  it("refuses names and addresses that would inject mail headers", async () => {
    expectProblem(
      await readAnswer(await api.signup("acme", address("crlf"), GOOD_PASSWORD, "Ann\r\nBcc: evil@attacker.test")),
      400,
      "validation_failed",
    );
    expectProblem(
      await readAnswer(await api.signup("acme", "ann@example.com\r\nBcc: evil@attacker.test")),
      400,
      "validation_failed",
    );
    await settle();
    expect((await smtp.received()).filter((m) => m.to.includes("attacker.test"))).toEqual([]);
  });
});

describe("branding", () => {
  const admin = { "Content-Type": "application/json", Authorization: `Bearer ${TEST_ADMIN_KEY}` };
  const put = (tenant: string, body: unknown, headers: Record<string, string> = admin) =>
    t.app.request(`/t/${tenant}/v1/admin/branding`, { method: "PUT", headers, body: JSON.stringify(body) });

  it("reads the defaults, stores a branding and shows it in the tenant's mails", async () => {
    const before = await t.app.request("/t/acme/v1/admin/branding", { headers: admin });
    expect(await before.json()).toEqual({ logo_url: null, accent_color: null, language: "en" });
    const images = await startImageServer({ "/logo.png": { type: "image/png", body: PNG } });
    const branding = { logo_url: images.url("/logo.png"), accent_color: "#0a7f5a", language: "en" };
    const stored = await put("acme", branding);
    await images.close();
    expect(stored.status).toBe(200);
    expect(await stored.json()).toEqual(branding);
    expect(await (await t.app.request("/t/acme/v1/admin/branding", { headers: admin })).json()).toEqual(branding);

    const email = address("branded");
    await signup(email);
    const mail = await verifyMail(email);
    // The copy the service fetched and serves, not the admin's URL (mails show what was checked).
    expect(mail.html).toMatch(new RegExp(`src="${TEST_PUBLIC_URL}/t/acme/branding/logo\\?v=[\\w-]{43}"`));
    expect(mail.html).not.toContain("127.0.0.1");
    expect(mail.html.toLowerCase()).toContain("#0a7f5a");
    expect((await put("acme", { logo_url: null, accent_color: null, language: "en" })).status).toBe(200);
  });

  it("refuses what it cannot show safely, and callers without the admin scope", async () => {
    for (const bad of [
      { logo_url: "http://cdn.acme.test/logo.png", accent_color: null, language: "en" },
      { logo_url: "javascript:alert(1)", accent_color: null, language: "en" },
      { logo_url: null, accent_color: "red", language: "en" },
      { logo_url: null, accent_color: "#12345", language: "en" },
      { logo_url: null, accent_color: null, language: "xx" },
      { logo_url: null, accent_color: null },
    ]) {
      expectProblem(await readAnswer(await put("acme", bad)), 400, "validation_failed");
    }
    const user = await signup(address("not-admin"));
    const asUser = { "Content-Type": "application/json", Authorization: `Bearer ${user.access_token}` };
    expect((await put("acme", { logo_url: null, accent_color: null, language: "en" }, asUser)).status).toBe(401);
    expect((await t.app.request("/t/acme/v1/admin/branding")).status).toBe(401);
  });
});

describe("email change", () => {
  it("moves the account only once the new address is verified, and tells the old one", async () => {
    const old = address("old");
    const next = address("new");
    const user = await signup(old);
    const oldVerification = linkToken(await verifyMail(old), "email/verify");

    expect((await api.changeEmail("acme", user.access_token, next)).status).toBe(202);
    const link = await verifyMail(next);
    const notice = await smtp.waitFor((m) => m.to.includes(old) && m.text.includes(next));
    expect(notice.text).not.toContain("token=");
    // Nothing moved yet.
    expect(((await (await api.me("acme", user.access_token)).json()) as { email: string }).email).toBe(old);
    expect((await api.login("acme", old)).status).toBe(200);

    const moved = await readAnswer(await api.verifyEmail("acme", linkToken(link, "email/verify")));
    expect(moved.status).toBe(200);
    expect(moved.json).toMatchObject({ email: next, email_verified: true });
    expect((await api.login("acme", next)).status).toBe(200);
    expectProblem(await readAnswer(await api.login("acme", old)), 401, "invalid_credentials");
    // A verification link of the old address no longer verifies anything.
    expectProblem(await readAnswer(await api.verifyEmail("acme", oldVerification)), 400, "invalid_token");
    // The old address is free again.
    expect((await api.signup("acme", old)).status).toBe(201);
  });

  it("needs the password, and a different, valid address", async () => {
    const email = address("pw");
    const user = await signup(email);
    const wrong = await readAnswer(await api.changeEmail("acme", user.access_token, address("x"), "wrong password!"));
    expectProblem(wrong, 401, "invalid_credentials");
    // A bearer-protected route's 401 challenges (API.md), without an error: the token itself is fine.
    expect(wrong.headers.get("www-authenticate")).toBe(`Bearer realm="${TEST_PUBLIC_URL}/t/acme"`);
    // A full-width spelling is found as the plain mailbox, so no account may move to one.
    for (const bad of ["nope", "a@b.com\r\nBcc: evil@attacker.test", email, "ｍｏｖｅｄ@example.com"]) {
      const answer = await readAnswer(await api.changeEmail("acme", user.access_token, bad));
      expectProblem(answer, 400, "validation_failed");
      expect(JSON.stringify(answer.json.errors)).toContain("new_email");
    }
  });

  it("answers an address that has an account like any other, and tells that address instead of linking", async () => {
    const taken = address("taken");
    await signup(taken);
    const user = await signup(address("mover"));
    expect((await api.changeEmail("acme", user.access_token, taken)).status).toBe(202);
    await settle();
    const toTaken = await mailsTo(taken);
    // Its own signup verification, and a note without any link.
    expect(toTaken).toHaveLength(2);
    expect(toTaken.filter((m) => m.text.includes("token="))).toHaveLength(1);
  });

  it("checks uniqueness again at confirmation (409) and leaves the account as it was", async () => {
    const user = await signup(address("racer"));
    const target = address("contested");
    expect((await api.changeEmail("acme", user.access_token, target)).status).toBe(202);
    const token = linkToken(await verifyMail(target), "email/verify");
    await signup(target);
    expectProblem(await readAnswer(await api.verifyEmail("acme", token)), 409, "email_taken");
    const me = (await (await api.me("acme", user.access_token)).json()) as { email: string };
    expect(me.email).not.toBe(target);
  });

  it("is cancelled by a password reset: the pending link stops working", async () => {
    const email = address("cancel");
    const user = await signup(email);
    const target = address("hijack");
    expect((await api.changeEmail("acme", user.access_token, target)).status).toBe(202);
    const token = linkToken(await verifyMail(target), "email/verify");
    expect((await api.forgot("acme", email)).status).toBe(202);
    const reset = linkToken(
      await smtp.waitFor((m) => m.to.includes(email) && m.text.includes("/password/reset?token=")),
      "password/reset",
    );
    expect((await api.reset("acme", reset, "a brand new passphrase 42")).status).toBe(204);
    expectProblem(await readAnswer(await api.verifyEmail("acme", token)), 400, "invalid_token");
  });

  it("records verifications and changes in the audit trail", async () => {
    await settle();
    const { rows } = await db.query("select distinct action from audit_events where action like 'user.email%'");
    expect(rows.map((r) => r.action).sort()).toEqual([
      "user.email_change_requested",
      "user.email_changed",
      "user.email_verified",
    ]);
  });
});
