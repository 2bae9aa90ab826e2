/**
 * The SDK client's second factors against the real service: an authenticator
 * app enrolled and confirmed with codes computed here (RFC 6238), a login
 * answered with an MFA challenge (nothing stored) and finished by verifyMfa,
 * recovery codes, removal (step-up), the admin reset and policy, and under a
 * required policy the enrollment of a first factor during the login.
 */
import { type AuthorityClient, createClient } from "@authority/sdk/client";
import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import { generateHOTP } from "@oslojs/otp";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_PUBLIC_URL } from "../support/app.js";
import { SoftAuthenticator } from "../support/soft-authenticator.js";
import {
  email,
  expectFailure,
  GOOD_PASSWORD,
  type ServedApp,
  startServedApp,
  tokensOf,
  unwrap,
} from "./client-harness.js";

let s: ServedApp;
const client = (tenant = "mfa") => createClient({ baseUrl: s.baseUrl, tenant });

beforeAll(async () => {
  s = await startServedApp();
  unwrap(await s.admin.admin.createTenant({ slug: "mfa", name: "MFA" }));
  unwrap(await s.admin.admin.createTenant({ slug: "mfa-policy", name: "MFA policy" }));
  unwrap(await s.admin.admin.createTenant({ slug: "mfa-settings", name: "MFA settings" }));
  unwrap(await s.admin.admin.createTenant({ slug: "mfa-signup", name: "MFA signup" }));
});
afterAll(async () => {
  await s?.close();
});

/** The code of the secret `offset` 30-second steps from now (the service accepts one step either side, once). */
const codeOf = (secret: string, offset = 0) =>
  generateHOTP(decodeBase32IgnorePadding(secret), BigInt(Math.floor(Date.now() / 30_000) + offset), 6);

/** A user with a confirmed authenticator; `c` holds the signup's session (no second factor in it). */
async function enrolledUser() {
  const c = client();
  const address = email("mfa");
  const { user } = unwrap(await c.signup({ email: address, password: GOOD_PASSWORD }));
  const enrollment = unwrap(await c.mfa.enrollTotp());
  const confirmed = unwrap(await c.mfa.confirmTotp(enrollment.id, codeOf(enrollment.secret)));
  return { c, address, user, enrollment, recoveryCodes: confirmed.recovery_codes ?? [] };
}

/** Logs in with the password; expects the MFA challenge and that nothing was stored. */
async function challenged(c: AuthorityClient, address: string) {
  const answer = unwrap(await c.login({ email: address, password: GOOD_PASSWORD }));
  if (!answer.mfa_required) return expect.fail(`expected an MFA challenge, got ${JSON.stringify(answer)}`);
  expect(await c.session.get()).toBeUndefined();
  return answer;
}

describe("authenticator enrollment", () => {
  it("enrollTotp answers the secret once; confirmTotp checks the code and answers the first recovery codes", async () => {
    const c = client();
    unwrap(await c.signup({ email: email("enroll"), password: GOOD_PASSWORD }));
    const enrollment = unwrap(await c.mfa.enrollTotp());
    expect(enrollment.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(new URL(enrollment.otpauth_uri).searchParams.get("secret")).toBe(enrollment.secret);
    expect(enrollment.otpauth_uri.startsWith("otpauth://totp/")).toBe(true);
    expect(enrollment.qr_svg).toMatch(/^<svg /);
    // Pending: not a factor yet, and no recovery codes to replace.
    expect(unwrap(await c.mfa.listFactors())).toEqual({ factors: [], recovery_codes_left: 0 });
    expectFailure(await c.mfa.regenerateRecoveryCodes(), 409, "no_second_factor");

    expectFailure(await c.mfa.confirmTotp(enrollment.id, codeOf(enrollment.secret, 10)), 400, "invalid_mfa_code");
    expectFailure(await c.mfa.confirmTotp("not-an-id", codeOf(enrollment.secret)), 404, "not_found");
    const confirmed = unwrap(await c.mfa.confirmTotp(enrollment.id, codeOf(enrollment.secret)));
    expect(confirmed.recovery_codes).toHaveLength(10);
    expect(new Set(confirmed.recovery_codes).size).toBe(10);
    // Another authenticator is a factor added: the signup's session (no second factor) may not (step-up).
    expectFailure(await c.mfa.enrollTotp(), 403, "step_up_required");
    expectFailure(await client().mfa.listFactors(), 401, "unauthorized");
  });
});

describe("login with a second factor", () => {
  it("login answers the challenge and stores nothing; verifyMfa stores the session", async () => {
    const { user, address, enrollment } = await enrolledUser();
    const c = client();
    const challenge = await challenged(c, address);
    expect(challenge).toEqual({
      mfa_required: true,
      mfa_token: expect.any(String),
      factors: ["totp", "recovery_code"],
      expires_in: expect.any(Number),
    });
    expect(challenge.expires_in).toBeGreaterThan(0);
    expectFailure(await c.me(), 401, "unauthorized");

    const wrong = await c.verifyMfa({
      mfa_token: challenge.mfa_token,
      type: "totp",
      code: codeOf(enrollment.secret, 10),
    });
    expectFailure(wrong, 400, "invalid_mfa_code");
    expect(await c.session.get()).toBeUndefined();

    // The confirmation spent this step's code (a code counts once): the next step's is within the window.
    const tokens = unwrap(
      await c.verifyMfa({ mfa_token: challenge.mfa_token, type: "totp", code: codeOf(enrollment.secret, 1) }),
    );
    expect(decodeJwt(tokens.access_token)).toMatchObject({ sub: user.id, amr: ["pwd", "otp", "mfa"] });
    expect(await c.session.get()).toMatchObject({ accessToken: tokens.access_token, sessionId: tokens.session_id });
    expect(unwrap(await c.me()).id).toBe(user.id);

    // The token is single use.
    const again = await c.verifyMfa({ mfa_token: challenge.mfa_token, type: "totp", code: codeOf(enrollment.secret) });
    expectFailure(again, 401, "invalid_mfa_token");
    expect((await c.session.get())?.accessToken).toBe(tokens.access_token);

    const { factors, recovery_codes_left } = unwrap(await c.mfa.listFactors());
    expect(recovery_codes_left).toBe(10);
    expect(factors).toEqual([
      { id: enrollment.id, kind: "totp", name: null, created_at: expect.any(String), last_used_at: expect.any(String) },
    ]);
  });

  it("regenerateRecoveryCodes replaces every code; a new one finishes a login, an old one does not", async () => {
    const { c, address, enrollment, recoveryCodes } = await enrolledUser();
    // New codes need a second factor within 5 minutes (step-up): not the signup's session, but a login's with the app.
    expectFailure(await c.mfa.regenerateRecoveryCodes(), 403, "step_up_required");
    const stepped = client();
    const first = await challenged(stepped, address);
    unwrap(await stepped.verifyMfa({ mfa_token: first.mfa_token, type: "totp", code: codeOf(enrollment.secret, 1) }));
    const { recovery_codes: fresh } = unwrap(await stepped.mfa.regenerateRecoveryCodes());
    expect(fresh).toHaveLength(10);
    expect(fresh.filter((code) => recoveryCodes.includes(code))).toEqual([]);

    const d = client();
    const { mfa_token } = await challenged(d, address);
    const old = await d.verifyMfa({ mfa_token, type: "recovery_code", code: recoveryCodes[0] as string });
    expectFailure(old, 400, "invalid_mfa_code");
    const tokens = unwrap(await d.verifyMfa({ mfa_token, type: "recovery_code", code: fresh[0] as string }));
    expect(decodeJwt(tokens.access_token).amr).toContain("mfa");
    expect(unwrap(await d.mfa.listFactors()).recovery_codes_left).toBe(9);
  });

  it("removeFactor needs a recent second factor (step-up)", async () => {
    const { c, address, enrollment, recoveryCodes } = await enrolledUser();
    expectFailure(await c.mfa.removeFactor(enrollment.id), 403, "step_up_required");

    const d = client();
    const { mfa_token } = await challenged(d, address);
    unwrap(await d.verifyMfa({ mfa_token, type: "recovery_code", code: recoveryCodes[0] as string }));
    expect((await d.mfa.removeFactor(enrollment.id)).status).toBe(204);
    expectFailure(await d.mfa.removeFactor(enrollment.id), 404, "not_found");
    expect(unwrap(await d.mfa.listFactors()).factors).toEqual([]);
    // No factor left: the password alone logs in again.
    tokensOf(await client().login({ email: address, password: GOOD_PASSWORD }));
  });
});

describe("administration", () => {
  it("resetUserMfa removes every factor and recovery code; login needs the password alone again", async () => {
    const { c, address, user } = await enrolledUser();
    const admin = s.admin.withTenant("mfa").admin;
    expect((await admin.resetUserMfa(user.id)).status).toBe(204);
    expectFailure(await admin.resetUserMfa("00000000-0000-4000-8000-000000000000"), 404, "not_found");

    const d = client();
    const tokens = tokensOf(await d.login({ email: address, password: GOOD_PASSWORD }));
    expect((await d.session.get())?.accessToken).toBe(tokens.access_token);
    expect(unwrap(await c.mfa.listFactors())).toEqual({ factors: [], recovery_codes_left: 0 });
    expectFailure(await client().admin.resetUserMfa(user.id), 401, "unauthorized");
  });

  it("getMfaPolicy / setMfaPolicy: both settings read back; a policy name alone resets federated_logins", async () => {
    const admin = s.admin.withTenant("mfa-settings").admin;
    expect(unwrap(await admin.getMfaPolicy())).toEqual({ policy: "optional", federated_logins: "second_step" });
    const trusting = { policy: "required_for_admins", federated_logins: "trust_upstream" } as const;
    expect(unwrap(await admin.setMfaPolicy(trusting))).toEqual(trusting);
    expect(unwrap(await admin.getMfaPolicy())).toEqual(trusting);
    expect(unwrap(await admin.setMfaPolicy("required"))).toEqual({
      policy: "required",
      federated_logins: "second_step",
    });
    expectFailure(await admin.setMfaPolicy("always" as "required"), 400, "validation_failed");
    expectFailure(
      await admin.setMfaPolicy({ policy: "required", federated_logins: "never" as "trust_upstream" }),
      400,
      "validation_failed",
    );
    expect(unwrap(await admin.setMfaPolicy("optional"))).toEqual({
      policy: "optional",
      federated_logins: "second_step",
    });
  });
});

describe("a required policy: enrollment during the login", () => {
  it("login answers the enrollment challenge (nothing stored); loginEnrollment.totp and verifyMfa finish it", async () => {
    const admin = s.admin.withTenant("mfa-policy").admin;
    const address = email("policy");
    tokensOf(await client("mfa-policy").signup({ email: address, password: GOOD_PASSWORD }));
    unwrap(await admin.setMfaPolicy("required"));

    const c = client("mfa-policy");
    const challenge = unwrap(await c.login({ email: address, password: GOOD_PASSWORD }));
    expect(challenge).toEqual({
      mfa_required: true,
      mfa_token: expect.any(String),
      factors: [],
      enrollment_required: true,
      expires_in: 300,
    });
    if (!challenge.mfa_required) return expect.fail("expected a challenge");
    expect(await c.session.get()).toBeUndefined();
    const mfa_token = challenge.mfa_token;
    expectFailure(await c.verifyMfa({ mfa_token, type: "totp", code: "123456" }), 409, "no_second_factor");

    const enrollment = unwrap(await c.loginEnrollment.totp({ mfa_token }));
    expect(enrollment.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(enrollment.qr_svg).toMatch(/^<svg /);
    expectFailure(
      await c.verifyMfa({ mfa_token, type: "totp", code: codeOf(enrollment.secret, 10) }),
      400,
      "invalid_mfa_code",
    );
    const tokens = unwrap(await c.verifyMfa({ mfa_token, type: "totp", code: codeOf(enrollment.secret) }));
    expect(tokens.recovery_codes).toHaveLength(10);
    expect(decodeJwt(tokens.access_token)).toMatchObject({ amr: ["pwd", "otp", "mfa"], acr: "urn:authority:mfa" });
    expect(await c.session.get()).toMatchObject({ accessToken: tokens.access_token });
    expect(unwrap(await c.mfa.listFactors())).toMatchObject({ factors: [{ kind: "totp" }], recovery_codes_left: 10 });

    // From now on the login verifies the factor, and its challenge cannot enroll another one.
    const next = unwrap(await client("mfa-policy").login({ email: address, password: GOOD_PASSWORD }));
    if (!next.mfa_required) return expect.fail("expected a challenge");
    expect(next.factors).toEqual(["totp", "recovery_code"]);
    expect(next.enrollment_required).toBeUndefined();
    expectFailure(await c.loginEnrollment.totp({ mfa_token: next.mfa_token }), 403, "mfa_enrollment_not_allowed");
    expectFailure(
      await c.loginEnrollment.passkeyOptions({ mfa_token: next.mfa_token }),
      403,
      "mfa_enrollment_not_allowed",
    );
    unwrap(await admin.setMfaPolicy("optional"));
  });

  it("signup answers the user and the enrollment challenge; loginEnrollment.passkey enrolls and logs in", async () => {
    const admin = s.admin.withTenant("mfa-signup").admin;
    unwrap(await admin.setMfaPolicy("required"));
    const c = client("mfa-signup");
    const address = email("bound");
    const signed = unwrap(await c.signup({ email: address, password: GOOD_PASSWORD }));
    expect(signed).toMatchObject({
      user: { email: address },
      mfa_required: true,
      factors: [],
      enrollment_required: true,
    });
    if (!signed.mfa_required) return expect.fail("expected a challenge");
    expect(signed).not.toHaveProperty("access_token");
    expect(await c.session.get()).toBeUndefined();

    const authenticator = await SoftAuthenticator.create();
    const options = unwrap(await c.loginEnrollment.passkeyOptions({ mfa_token: signed.mfa_token }));
    const response = await authenticator.register(options as Parameters<typeof authenticator.register>[0], {
      origin: TEST_PUBLIC_URL,
    });
    const tokens = unwrap(await c.loginEnrollment.passkey({ mfa_token: signed.mfa_token, response, name: "Key" }));
    expect(tokens.recovery_codes).toHaveLength(10);
    expect(decodeJwt(tokens.access_token)).toMatchObject({ sub: signed.user.id, amr: ["pwd", "hwk", "mfa"] });
    expect(await c.session.get()).toMatchObject({ accessToken: tokens.access_token });
    expect(unwrap(await c.listPasskeys()).passkeys).toMatchObject([{ name: "Key" }]);
    // The token is spent.
    expectFailure(await c.loginEnrollment.passkeyOptions({ mfa_token: signed.mfa_token }), 401, "invalid_mfa_token");
  });
});
