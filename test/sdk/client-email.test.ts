/**
 * The SDK client's account lifecycle by email against the real service and a
 * real SMTP server: verification, password forgotten/reset/changed, email
 * change, and the tenant's branding (admin).
 */
import { createClient } from "@authority/sdk/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSmtpMailer } from "../../src/adapters/mail/smtp.js";
import { PNG, startImageServer } from "../support/image-server.js";
import { linkToken, startSmtpServer, type TestSmtpServer } from "../support/smtp-server.js";
import {
  countingFetch,
  email,
  expectFailure,
  GOOD_PASSWORD,
  type ServedApp,
  startServedApp,
  TEST_ADMIN_KEY,
  unwrap,
} from "./client-harness.js";

const NEW_PASSWORD = "a brand new passphrase 42";
let smtp: TestSmtpServer;
let mailer: ReturnType<typeof createSmtpMailer>;
let s: ServedApp;
const client = (extra: Partial<Parameters<typeof createClient>[0]> = {}) =>
  createClient({ baseUrl: s.baseUrl, tenant: "mail", ...extra });

beforeAll(async () => {
  smtp = await startSmtpServer();
  mailer = createSmtpMailer(smtp.url, "Acme <a@acme.test>");
  s = await startServedApp({ mailer });
  unwrap(await s.admin.admin.createTenant({ slug: "mail", name: "Mail" }));
  unwrap(await s.admin.admin.createTenant({ slug: "brand", name: "Brand" }));
});
afterAll(async () => {
  await s?.t.services.mailOutbox?.drain();
  await s?.close();
  // The mailer's pooled connections would hold the SMTP server's close open until its timeout (30 s).
  mailer?.close();
  await smtp?.close();
});

const linkMail = (to: string, page: "email/verify" | "password/reset", nth = 1) =>
  smtp.waitFor((m) => m.to.includes(to) && m.text.includes(`/${page}?token=`), { nth });
const mailsTo = async (to: string) => {
  await s.t.services.background.drain();
  await s.t.services.mailOutbox?.drain();
  return (await smtp.received()).filter((m) => m.to.includes(to));
};

describe("email verification", () => {
  it("signup mails a link; verifyEmail verifies the address, once", async () => {
    const c = client();
    const address = email("ver");
    const signed = unwrap(await c.signup({ email: address, password: GOOD_PASSWORD }));
    expect(signed.user.email_verified).toBe(false);
    const token = linkToken(await linkMail(address, "email/verify"), "email/verify");

    const verified = await c.verifyEmail({ token });
    expect(verified.status).toBe(200);
    expect(unwrap(verified)).toMatchObject({ id: signed.user.id, email: address, email_verified: true });
    expect(unwrap(await c.me()).email_verified).toBe(true);
    expectFailure(await c.verifyEmail({ token }), 400, "invalid_token");

    // Verified already: the same answer, and no mail.
    const again = await c.requestEmailVerification();
    expect(again.status).toBe(202);
    expect(unwrap(again)).toEqual({ status: "accepted" });
    expect(await mailsTo(address)).toHaveLength(1);
  });

  it("requestEmailVerification mails another link with the session's token; without a session 401", async () => {
    const c = client();
    const address = email("again");
    unwrap(await c.signup({ email: address, password: GOOD_PASSWORD }));
    const first = linkToken(await linkMail(address, "email/verify"), "email/verify");
    expect(unwrap(await c.requestEmailVerification())).toEqual({ status: "accepted" });
    const second = linkToken(await linkMail(address, "email/verify", 2), "email/verify");
    expect(second).not.toBe(first);
    expect(unwrap(await c.verifyEmail({ token: second })).email_verified).toBe(true);

    expectFailure(await client().requestEmailVerification(), 401, "unauthorized");
  });
});

describe("password", () => {
  it("forgotPassword mails a link; resetPassword sets the password (a weak one refused) and ends every session", async () => {
    const c = client();
    const address = email("forgot");
    unwrap(await c.signup({ email: address, password: GOOD_PASSWORD }));

    const forgot = await client().forgotPassword({ email: address });
    expect(forgot.status).toBe(202);
    expect(unwrap(forgot)).toEqual({ status: "accepted" });
    // No enumeration: an unknown address gets the same answer.
    expect(unwrap(await client().forgotPassword({ email: email("nobody") }))).toEqual({ status: "accepted" });

    const token = linkToken(await linkMail(address, "password/reset"), "password/reset");
    // A weak password is refused with field errors, and the token stays good for another try.
    const weak = await client().resetPassword({ token, password: "short" });
    expectFailure(weak, 400, "validation_failed");
    if (!weak.ok) expect(weak.problem.errors?.map((e) => e.path)).toContain("password");
    const reset = await client().resetPassword({ token, password: NEW_PASSWORD });
    expect(reset).toMatchObject({ ok: true, status: 204, value: undefined });
    expectFailure(await client().resetPassword({ token, password: NEW_PASSWORD }), 400, "invalid_token");

    // The client's stored session ended with the others: its refresh fails and it is forgotten.
    expectFailure(await c.me(), 401, "token_revoked");
    expect(await c.session.get()).toBeUndefined();
    expectFailure(await client().login({ email: address, password: GOOD_PASSWORD }), 401, "invalid_credentials");
    const relogged = client();
    unwrap(await relogged.login({ email: address, password: NEW_PASSWORD }));
    expect(unwrap(await relogged.me()).email).toBe(address);
  });

  it("changePassword: a wrong current password is answered once (no refresh); the right one keeps this session only", async () => {
    const counting = countingFetch();
    const c = client({ fetch: counting.fetch });
    const address = email("change");
    unwrap(await c.signup({ email: address, password: GOOD_PASSWORD }));
    const other = client();
    unwrap(await other.login({ email: address, password: GOOD_PASSWORD }));

    const wrong = await c.changePassword({ current_password: "not my password at all", new_password: NEW_PASSWORD });
    expectFailure(wrong, 401, "invalid_credentials");
    expect(counting.count("/v1/password/change")).toBe(1);
    expect(counting.count("/v1/token/refresh")).toBe(0);
    expect(await c.session.get()).toBeDefined();

    const changed = await c.changePassword({ current_password: GOOD_PASSWORD, new_password: NEW_PASSWORD });
    expect(changed).toMatchObject({ ok: true, status: 204, value: undefined });
    expect(unwrap(await c.me()).email).toBe(address);
    expectFailure(await other.me(), 401, "token_revoked");
    expectFailure(await client().login({ email: address, password: GOOD_PASSWORD }), 401, "invalid_credentials");
    unwrap(await client().login({ email: address, password: NEW_PASSWORD }));
  });
});

describe("email change", () => {
  it("changeEmail mails the new address; verifyEmail moves the account there", async () => {
    const c = client();
    const old = email("old");
    const next = email("new");
    unwrap(await c.signup({ email: old, password: GOOD_PASSWORD }));

    expectFailure(
      await c.changeEmail({ new_email: next, password: "not my password at all" }),
      401,
      "invalid_credentials",
    );
    const requested = await c.changeEmail({ new_email: next, password: GOOD_PASSWORD });
    expect(requested.status).toBe(202);
    expect(unwrap(requested)).toEqual({ status: "accepted" });
    const link = await linkMail(next, "email/verify");
    expect(unwrap(await c.me()).email).toBe(old);

    const moved = unwrap(await client().verifyEmail({ token: linkToken(link, "email/verify") }));
    expect(moved).toMatchObject({ email: next, email_verified: true });
    expect(unwrap(await c.me()).email).toBe(next);
    unwrap(await client().login({ email: next, password: GOOD_PASSWORD }));
  });
});

describe("branding (admin)", () => {
  const brand = () => createClient({ baseUrl: s.baseUrl, tenant: "brand", apiKey: TEST_ADMIN_KEY });
  // The service fetches the logo when it is set: a local image host (the test egress policy allows loopback).
  let images: Awaited<ReturnType<typeof startImageServer>>;
  let BRANDING: { logo_url: string; accent_color: string; language: "en" };
  beforeAll(async () => {
    images = await startImageServer({ "/logo.png": { type: "image/png", body: PNG } });
    BRANDING = { logo_url: images.url("/logo.png"), accent_color: "#3056d3", language: "en" };
  });
  afterAll(() => images.close());

  it("reads the defaults, sets and reads back, and the mails show it", async () => {
    const admin = brand();
    expect(unwrap(await admin.admin.getBranding())).toEqual({ logo_url: null, accent_color: null, language: "en" });
    const set = await admin.admin.setBranding(BRANDING);
    expect(set.status).toBe(200);
    expect(unwrap(set)).toEqual(BRANDING);
    expect(unwrap(await admin.admin.getBranding())).toEqual(BRANDING);

    const address = email("branded");
    unwrap(await client({ tenant: "brand" }).signup({ email: address, password: GOOD_PASSWORD }));
    // The mail takes the accent colour (and shows the service's copy of the logo when PUBLIC_URL is https).
    expect((await linkMail(address, "email/verify")).html).toContain(BRANDING.accent_color);
  });

  it("refuses a bad colour with a validation problem and keeps the stored branding; needs an admin key", async () => {
    const admin = brand();
    unwrap(await admin.admin.setBranding(BRANDING));
    const bad = await admin.admin.setBranding({ ...BRANDING, accent_color: "blue" });
    expectFailure(bad, 400, "validation_failed");
    if (!bad.ok) expect(bad.problem.errors?.map((e) => e.path)).toContain("accent_color");
    expect(unwrap(await admin.admin.getBranding())).toEqual(BRANDING);

    const cleared = { logo_url: null, accent_color: null, language: "en" } as const;
    expect(unwrap(await admin.admin.setBranding(cleared))).toEqual(cleared);
    expectFailure(await createClient({ baseUrl: s.baseUrl, tenant: "brand" }).admin.getBranding(), 401, "unauthorized");
  });
});
