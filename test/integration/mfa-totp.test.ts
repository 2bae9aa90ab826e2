/**
 * TOTP authenticators and recovery codes on real Postgres and Redis:
 * enrollment (secret shown once, stored sealed), confirmation with a code
 * computed here from the returned secret, ±1 step, replay refused, recovery
 * codes spent once and regenerated, removal, the admin reset and throttling.
 */
import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import { generateHOTP } from "@oslojs/otp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Tenant } from "../../src/core/ports/database.js";
import { JSON_HEADERS } from "../support/accounts.js";
import { TEST_ADMIN_KEY, TEST_PUBLIC_URL } from "../support/app.js";
import { expectProblem, readAnswer } from "../support/problem.js";
import { type SessionsApp, startSessionsApp } from "../support/sessions.js";
import { SoftAuthenticator } from "../support/soft-authenticator.js";

let s: SessionsApp;
let tenant: Tenant;
beforeAll(async () => {
  s = await startSessionsApp();
  tenant = (await s.t.deps.db.tenants.findBySlug("acme")) as Tenant;
});
afterAll(async () => {
  await s.close();
});

const call = (token: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
  s.t.app.request(`/t/acme/v1${path}`, {
    method,
    headers: { ...JSON_HEADERS, Authorization: `Bearer ${token}`, ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

/** The RFC 6238 code of the secret for the step `offset` steps from the pinned clock's. */
const codeOf = (secret: string, offset = 0) =>
  generateHOTP(decodeBase32IgnorePadding(secret), BigInt(Math.floor(s.clock.now().getTime() / 30_000) + offset), 6);

interface Enrollment {
  id: string;
  secret: string;
  otpauth_uri: string;
  qr_svg: string;
}
async function enroll(token: string): Promise<Enrollment> {
  const response = await call(token, "POST", "/mfa/totp");
  expect(response.status).toBe(201);
  return (await response.json()) as Enrollment;
}
async function enrolled() {
  const user = await s.signup();
  const email = s.lastEmail();
  const enrollment = await enroll(user.access_token);
  const confirmed = await call(user.access_token, "POST", `/mfa/totp/${enrollment.id}/confirm`, {
    code: codeOf(enrollment.secret),
  });
  expect(confirmed.status).toBe(200);
  const { recovery_codes } = (await confirmed.json()) as { recovery_codes: string[] };
  return { user, email, enrollment, recoveryCodes: recovery_codes };
}

/** An access token from a login with the TOTP code just now: what adding a factor or new codes needs (step-up). */
async function steppedUp(email: string, secret: string): Promise<string> {
  s.clock.advance(30_000); // the confirming step's code is spent
  const login = (await (await s.api.login("acme", email)).json()) as { mfa_token: string };
  const verified = await s.t.app.request("/t/acme/v1/mfa/verify", {
    method: "POST",
    headers: JSON_HEADERS,
    body: JSON.stringify({ mfa_token: login.mfa_token, type: "totp", code: codeOf(secret) }),
  });
  expect(verified.status, await verified.clone().text()).toBe(200);
  return ((await verified.json()) as { access_token: string }).access_token;
}
const factors = async (token: string) => {
  const response = await call(token, "GET", "/mfa/factors");
  expect(response.status).toBe(200);
  return (await response.json()) as { factors: Record<string, unknown>[]; recovery_codes_left: number };
};
const verify = (userId: string, kind: "totp" | "recovery_code", code: string) =>
  s.t.services.mfa.verifyCode(tenant, userId, kind, code);

describe("TOTP enrollment", () => {
  it("answers the secret once, as base32, an otpauth URI and an SVG QR code, and stores it sealed", async () => {
    const user = await s.signup();
    const enrollment = await enroll(user.access_token);
    expect(enrollment.secret).toMatch(/^[A-Z2-7]{32}$/); // 20 bytes
    const uri = new URL(enrollment.otpauth_uri);
    expect(enrollment.otpauth_uri.startsWith(`otpauth://totp/acme:${encodeURIComponent(s.lastEmail())}?`)).toBe(true);
    expect(Object.fromEntries(uri.searchParams)).toEqual({
      secret: enrollment.secret,
      issuer: "acme",
      algorithm: "SHA1",
      digits: "6",
      period: "30",
    });
    expect(enrollment.qr_svg).toMatch(/^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);

    const { rows } = await s.db.query("SELECT * FROM mfa_totp WHERE id = $1", [enrollment.id]);
    expect(rows).toHaveLength(1);
    const row = rows[0] as Record<string, unknown>;
    expect(row.confirmed_at).toBeNull();
    const sealed = String(row.secret_sealed);
    const raw = decodeBase32IgnorePadding(enrollment.secret);
    expect(sealed).not.toContain(enrollment.secret);
    expect(sealed).not.toContain(Buffer.from(raw).toString("base64url"));
    expect(sealed).not.toContain(Buffer.from(raw).toString("hex"));

    // Pending: not a factor yet, and the secret is never answered again.
    const listed = await factors(user.access_token);
    expect(listed).toEqual({ factors: [], recovery_codes_left: 0 });
    expect(JSON.stringify(listed)).not.toContain(enrollment.secret);
  });

  it("refuses a wrong code, then confirms with a current one and hands out ten recovery codes once", async () => {
    const user = await s.signup();
    const enrollment = await enroll(user.access_token);
    const path = `/mfa/totp/${enrollment.id}/confirm`;
    const wrong = codeOf(enrollment.secret) === "000000" ? "111111" : "000000";
    expectProblem(
      await readAnswer(await call(user.access_token, "POST", path, { code: wrong })),
      400,
      "invalid_mfa_code",
    );
    expectProblem(
      await readAnswer(await call(user.access_token, "POST", path, { code: "12ab" })),
      400,
      "invalid_mfa_code",
    );
    expect(s.logLines.some((line) => line.includes('"mfa_code_failed"') && line.includes(user.user.id))).toBe(true);

    const confirmed = await call(user.access_token, "POST", path, { code: codeOf(enrollment.secret) });
    expect(confirmed.status).toBe(200);
    const { recovery_codes } = (await confirmed.json()) as { recovery_codes: string[] };
    expect(recovery_codes).toHaveLength(10);
    for (const code of recovery_codes) expect(code).toMatch(/^[a-z2-7]{4}(-[a-z2-7]{4}){5}$/);

    const listed = await factors(user.access_token);
    expect(listed).toEqual({
      factors: [
        {
          id: enrollment.id,
          kind: "totp",
          name: null,
          created_at: s.clock.now().toISOString(),
          last_used_at: s.clock.now().toISOString(),
        },
      ],
      recovery_codes_left: 10,
    });
    // Confirmed once: again is 409, and so is a second authenticator.
    expectProblem(
      await readAnswer(await call(user.access_token, "POST", path, { code: codeOf(enrollment.secret, 1) })),
      409,
      "totp_enrolled",
    );
    // A second authenticator is a factor added: the signup's token (no second factor) may not (step-up).
    const stale = await readAnswer(await call(user.access_token, "POST", "/mfa/totp"));
    expectProblem(stale, 403, "step_up_required");
    const fresh = await steppedUp(s.lastEmail(), enrollment.secret);
    expectProblem(await readAnswer(await call(fresh, "POST", "/mfa/totp")), 409, "totp_enrolled");
    // Recovery codes are stored only as salted hashes (recovery-codes.test.ts).
    const { rows } = await s.db.query("SELECT code_hash FROM mfa_recovery_codes WHERE user_id = $1", [user.user.id]);
    expect(rows).toHaveLength(10);
    for (const row of rows as { code_hash: string }[]) {
      expect(row.code_hash).toMatch(/^v2:[0-9a-f]{64}$/);
      for (const code of recovery_codes) expect(row.code_hash).not.toContain(code.replaceAll("-", ""));
    }
  });

  it("confirms with a code of the step before or after now; a code two steps away is refused", async () => {
    for (const offset of [-1, 1]) {
      const user = await s.signup();
      const enrollment = await enroll(user.access_token);
      const path = `/mfa/totp/${enrollment.id}/confirm`;
      const far = await call(user.access_token, "POST", path, { code: codeOf(enrollment.secret, 2 * offset) });
      expectProblem(await readAnswer(far), 400, "invalid_mfa_code");
      const near = await call(user.access_token, "POST", path, { code: codeOf(enrollment.secret, offset) });
      expect(near.status).toBe(200);
    }
  });

  it("404s for an unknown or another user's pending authenticator", async () => {
    const owner = await s.signup();
    const other = await s.signup();
    const enrollment = await enroll(owner.access_token);
    const code = { code: codeOf(enrollment.secret) };
    for (const path of [`/mfa/totp/${enrollment.id}/confirm`, "/mfa/totp/not-a-uuid/confirm"]) {
      expectProblem(await readAnswer(await call(other.access_token, "POST", path, code)), 404, "not_found");
    }
  });
});

describe("second-factor codes", () => {
  it("accepts a TOTP code once: the confirming code and any replay within the window are refused", async () => {
    const { user, enrollment } = await enrolled();
    const id = user.user.id;
    expect(await verify(id, "totp", codeOf(enrollment.secret))).toBeNull(); // spent by the confirmation
    s.clock.advance(30_000);
    const current = codeOf(enrollment.secret);
    expect(await verify(id, "totp", current)).toBe("otp");
    expect(await verify(id, "totp", current)).toBeNull();
    // The previous step's code is still inside the window but older than one used: refused.
    expect(await verify(id, "totp", codeOf(enrollment.secret, -1))).toBeNull();
    // The next step's code (clock drift) is accepted once.
    const next = codeOf(enrollment.secret, 1);
    expect(await verify(id, "totp", next)).toBe("otp");
    s.clock.advance(30_000);
    expect(await verify(id, "totp", next)).toBeNull();
    expect(await verify(id, "totp", "abcdef")).toBeNull();
    const row = (await s.db.query("SELECT last_used_step FROM mfa_totp WHERE id = $1", [enrollment.id])).rows[0];
    expect(Number((row as { last_used_step: string }).last_used_step)).toBe(
      Math.floor(s.clock.now().getTime() / 30_000),
    );
  });

  it("spends each recovery code once, however it is typed, and regenerating replaces them all", async () => {
    const { user, email, enrollment, recoveryCodes } = await enrolled();
    const id = user.user.id;
    const [first = "", second = "", third = ""] = recoveryCodes;
    expect(await verify(id, "recovery_code", first)).toBe("otp");
    expect(await verify(id, "recovery_code", first)).toBeNull();
    expect(await verify(id, "recovery_code", second.replaceAll("-", "").toUpperCase())).toBe("otp");
    expect((await factors(user.access_token)).recovery_codes_left).toBe(8);
    // Another user's code is no use.
    const other = await enrolled();
    expect(await verify(id, "recovery_code", other.recoveryCodes[0] ?? "")).toBeNull();

    // New codes need a second factor just now: not the signup's token (a stolen session must not take them).
    const stale = await readAnswer(await call(user.access_token, "POST", "/mfa/recovery-codes"));
    expectProblem(stale, 403, "step_up_required");
    const response = await call(await steppedUp(email, enrollment.secret), "POST", "/mfa/recovery-codes");
    expect(response.status).toBe(200);
    const { recovery_codes: fresh } = (await response.json()) as { recovery_codes: string[] };
    expect(fresh).toHaveLength(10);
    expect(fresh).not.toContain(third);
    expect(await verify(id, "recovery_code", third)).toBeNull();
    expect(await verify(id, "recovery_code", fresh[0] ?? "")).toBe("otp");
    expect((await factors(user.access_token)).recovery_codes_left).toBe(9);
  });

  it("refuses regenerating recovery codes without a factor", async () => {
    const user = await s.signup();
    expectProblem(
      await readAnswer(await call(user.access_token, "POST", "/mfa/recovery-codes")),
      409,
      "no_second_factor",
    );
  });

  it("throttles wrong codes per account: after five failures the next attempt waits (429)", async () => {
    const user = await s.signup();
    const enrollment = await enroll(user.access_token);
    const path = `/mfa/totp/${enrollment.id}/confirm`;
    const from = { "X-Test-Client-Ip": "203.0.113.7" };
    const wrong = codeOf(enrollment.secret) === "000000" ? "111111" : "000000";
    for (let i = 0; i < 5; i++) {
      const answer = await readAnswer(await call(user.access_token, "POST", path, { code: wrong }, from));
      expectProblem(answer, 400, "invalid_mfa_code");
    }
    const throttled = await readAnswer(
      await call(user.access_token, "POST", path, { code: codeOf(enrollment.secret) }, from),
    );
    expectProblem(throttled, 429, "rate_limited");
    expect(Number(throttled.headers.get("retry-after"))).toBeGreaterThan(0);
  });
});

describe("removing factors", () => {
  it("removes the caller's own authenticator by id, 404 for anyone else's or a second time", async () => {
    const { user: signedUp, enrollment, recoveryCodes } = await enrolled();
    const path = `/mfa/factors/${enrollment.id}`;
    // Step-up: the signup's session predates the factor; a login that completed it may remove it.
    expectProblem(await readAnswer(await call(signedUp.access_token, "DELETE", path)), 403, "step_up_required");
    const challenge = (await (await s.api.login("acme", s.lastEmail())).json()) as { mfa_token: string };
    const verified = await s.api.post("/t/acme/v1/mfa/verify", {
      mfa_token: challenge.mfa_token,
      type: "recovery_code",
      code: recoveryCodes[0],
    });
    const user = { ...signedUp, ...((await verified.json()) as { access_token: string }) };
    const other = await s.signup();
    expectProblem(await readAnswer(await call(other.access_token, "DELETE", path)), 404, "not_found");
    expectProblem(await readAnswer(await call(user.access_token, "DELETE", "/mfa/factors/x")), 404, "not_found");
    expect((await call(user.access_token, "DELETE", path)).status).toBe(204);
    expectProblem(await readAnswer(await call(user.access_token, "DELETE", path)), 404, "not_found");
    // The last factor took the recovery codes with it.
    expect(await factors(user.access_token)).toEqual({ factors: [], recovery_codes_left: 0 });
    expect(await verify(user.user.id, "totp", codeOf(enrollment.secret, 1))).toBeNull();
    expect(await verify(user.user.id, "recovery_code", recoveryCodes[1] ?? "")).toBeNull();
    // A new authenticator can be added, and its confirmation brings new recovery codes.
    const again = await enroll(user.access_token);
    expect(again.id).not.toBe(enrollment.id);
    const confirmed = await call(user.access_token, "POST", `/mfa/totp/${again.id}/confirm`, {
      code: codeOf(again.secret, 1),
    });
    expect(confirmed.status).toBe(200);
    expect(((await confirmed.json()) as { recovery_codes: string[] }).recovery_codes).toHaveLength(10);
  });

  it("keeps the recovery codes while another factor is left", async () => {
    const { user: signedUp, enrollment, recoveryCodes } = await enrolled();
    const challenge = (await (await s.api.login("acme", s.lastEmail())).json()) as { mfa_token: string };
    const verified = await s.api.post("/t/acme/v1/mfa/verify", {
      mfa_token: challenge.mfa_token,
      type: "recovery_code",
      code: recoveryCodes[0],
    });
    const token = ((await verified.json()) as { access_token: string }).access_token;
    // A passkey beside the authenticator app: it brings no new codes, the user has nine left.
    const options = (await (await call(token, "POST", "/mfa/passkeys/registration/options")).json()) as Parameters<
      SoftAuthenticator["register"]
    >[0];
    const authenticator = await SoftAuthenticator.create();
    const registered = await call(token, "POST", "/mfa/passkeys/registration", {
      response: await authenticator.register(options, { origin: TEST_PUBLIC_URL }),
    });
    expect(registered.status).toBe(201);
    expect((await registered.json()) as Record<string, unknown>).not.toHaveProperty("recovery_codes");
    expect((await call(token, "DELETE", `/mfa/factors/${enrollment.id}`)).status).toBe(204);
    expect((await factors(token)).recovery_codes_left).toBe(9);
    expect(await verify(signedUp.user.id, "recovery_code", recoveryCodes[1] ?? "")).toBe("otp");
  });

  it("an admin resets a user's factors and recovery codes; users and unknown ids cannot", async () => {
    const { user, recoveryCodes } = await enrolled();
    const path = `/t/acme/v1/admin/users/${user.user.id}/mfa/reset`;
    const asUser = await s.t.app.request(path, {
      method: "POST",
      headers: { Authorization: `Bearer ${user.access_token}` },
    });
    expect(asUser.status).toBe(401); // admin routes take API keys, not user tokens
    const admin = { Authorization: `Bearer ${TEST_ADMIN_KEY}` };
    const unknown = `/t/acme/v1/admin/users/${crypto.randomUUID()}/mfa/reset`;
    expectProblem(
      await readAnswer(await s.t.app.request(unknown, { method: "POST", headers: admin })),
      404,
      "not_found",
    );
    // Another tenant's admin route does not reach this tenant's user.
    const foreign = `/t/other/v1/admin/users/${user.user.id}/mfa/reset`;
    expectProblem(
      await readAnswer(await s.t.app.request(foreign, { method: "POST", headers: admin })),
      404,
      "not_found",
    );

    expect((await s.t.app.request(path, { method: "POST", headers: admin })).status).toBe(204);
    expect(await factors(user.access_token)).toEqual({ factors: [], recovery_codes_left: 0 });
    expect(await verify(user.user.id, "recovery_code", recoveryCodes[0] ?? "")).toBeNull();
    await expect
      .poll(async () =>
        (
          await s.db.query("SELECT action FROM audit_events WHERE target_id = $1 ORDER BY at, id", [user.user.id])
        ).rows.map((row: { action: string }) => row.action),
      )
      .toEqual(expect.arrayContaining(["mfa.totp_enrolled", "mfa.recovery_codes_generated", "mfa.reset_by_admin"]));
  });
});
