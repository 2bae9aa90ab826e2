/**
 * Recovery codes on real Postgres and Redis: new codes carry 120 bits and are
 * stored salted with their tenant and user; a code an earlier release made
 * (10 characters, 50 bits) keeps working once, whether migration 0019 salted
 * it or a replica of that release wrote it bare, and the daily cleanup salts
 * the bare ones.
 */
import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import { generateHOTP } from "@oslojs/otp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256Hex } from "../../src/core/crypto/digest.js";
import { dailyCleanup } from "../../src/core/jobs.js";
import { saltEarlierHash } from "../../src/core/mfa/recovery-codes.js";
import type { Tenant } from "../../src/core/ports/database.js";
import { JSON_HEADERS } from "../support/accounts.js";
import { type SessionsApp, startSessionsApp } from "../support/sessions.js";

let s: SessionsApp;
let tenant: Tenant;
beforeAll(async () => {
  s = await startSessionsApp();
  tenant = (await s.t.deps.db.tenants.findBySlug("acme")) as Tenant;
});
afterAll(async () => {
  await s.close();
});

const codeOf = (secret: string) =>
  generateHOTP(decodeBase32IgnorePadding(secret), BigInt(Math.floor(s.clock.now().getTime() / 30_000)), 6);

/** A user with an authenticator app, and the ten recovery codes its confirmation answered. */
async function enrolled() {
  const user = await s.signup();
  const headers = { ...JSON_HEADERS, Authorization: `Bearer ${user.access_token}` };
  const enrollment = (await (await s.t.app.request("/t/acme/v1/mfa/totp", { method: "POST", headers })).json()) as {
    id: string;
    secret: string;
  };
  const confirmed = await s.t.app.request(`/t/acme/v1/mfa/totp/${enrollment.id}/confirm`, {
    method: "POST",
    headers,
    body: JSON.stringify({ code: codeOf(enrollment.secret) }),
  });
  expect(confirmed.status).toBe(200);
  const { recovery_codes } = (await confirmed.json()) as { recovery_codes: string[] };
  return { id: user.user.id, email: s.lastEmail(), recoveryCodes: recovery_codes };
}

const verify = (userId: string, code: string) => s.t.services.mfa.verifyCode(tenant, userId, "recovery_code", code);

const storedOf = async (userId: string) =>
  (
    await s.db.query("SELECT code_hash FROM mfa_recovery_codes WHERE user_id = $1 ORDER BY code_hash", [userId])
  ).rows.map((row: { code_hash: string }) => row.code_hash);

/** The user's codes replaced by what an earlier release stored: each code's bare SHA-256, or salted as 0019 does. */
async function earlierCodes(userId: string, codes: { code: string; salted: boolean; used?: boolean }[]) {
  await s.db.query("DELETE FROM mfa_recovery_codes WHERE user_id = $1", [userId]);
  for (const { code, salted, used } of codes) {
    const bare = await sha256Hex(code);
    await s.db.query(
      "INSERT INTO mfa_recovery_codes (tenant_id, user_id, code_hash, used_at, created_at) VALUES ($1, $2, $3, $4, now())",
      [tenant.id, userId, salted ? await saltEarlierHash(tenant.id, userId, bare) : bare, used ? new Date() : null],
    );
  }
}

describe("recovery codes", () => {
  it("are 24 base32 characters, stored salted, and taken at the second step however typed", async () => {
    const { id, email, recoveryCodes } = await enrolled();
    expect(recoveryCodes).toHaveLength(10);
    for (const code of recoveryCodes) expect(code).toMatch(/^[a-z2-7]{4}(-[a-z2-7]{4}){5}$/);
    const stored = await storedOf(id);
    expect(stored).toHaveLength(10);
    for (const code of recoveryCodes) {
      const plain = code.replaceAll("-", "");
      expect(stored).not.toContain(await sha256Hex(plain));
      expect(stored.join()).not.toContain(plain);
    }
    for (const value of stored) expect(value).toMatch(/^v2:[0-9a-f]{64}$/);

    const [first = ""] = recoveryCodes;
    const login = (await (await s.api.login("acme", email)).json()) as { mfa_token: string };
    const typed = ` ${first.toUpperCase().replaceAll("-", " ")} `;
    const verified = await s.t.app.request("/t/acme/v1/mfa/verify", {
      method: "POST",
      headers: JSON_HEADERS,
      body: JSON.stringify({ mfa_token: login.mfa_token, type: "recovery_code", code: typed }),
    });
    expect(verified.status, await verified.clone().text()).toBe(200);
    expect(await verify(id, first)).toBeNull();
  });

  it("takes a code an earlier release made once, salted by the migration or bare from an earlier replica", async () => {
    const { id, recoveryCodes } = await enrolled();
    await earlierCodes(id, [
      { code: "abcdefghij", salted: true },
      { code: "k7d2qmx4pa", salted: false },
    ]);
    expect(await verify(id, recoveryCodes[0] ?? "")).toBeNull(); // replaced
    expect(await verify(id, "ABCDE fghij")).toBe("otp");
    expect(await verify(id, "abcde-fghij")).toBeNull();
    expect(await verify(id, "k7d2q-mx4pa")).toBe("otp");
    expect(await verify(id, "K7D2QMX4PA")).toBeNull();

    // A salted value is bound to its user: another user with the same stored value gets no sign-in from the code.
    const other = await enrolled();
    await s.db.query("UPDATE mfa_recovery_codes SET code_hash = $2 WHERE user_id = $1 AND code_hash = $3", [
      other.id,
      await saltEarlierHash(tenant.id, id, await sha256Hex("abcdefghij")),
      (await storedOf(other.id))[0],
    ]);
    expect(await verify(other.id, "abcde-fghij")).toBeNull();
  });

  it("are salted by the daily cleanup when an earlier replica stored them bare, and keep working", async () => {
    const { id } = await enrolled();
    await earlierCodes(id, [
      { code: "mnopqrstuv", salted: false },
      { code: "wxyz234567", salted: false, used: true },
      { code: "abcdefghij", salted: true },
    ]);
    const expected = await Promise.all(
      ["mnopqrstuv", "wxyz234567", "abcdefghij"].map(async (code) =>
        saltEarlierHash(tenant.id, id, await sha256Hex(code)),
      ),
    );
    const retention = { sessions: 30 * 86_400_000, auditEvents: 365 * 86_400_000 };
    const lines: string[] = [];
    const logger = { info: (event: string) => lines.push(event), warn: () => {}, error: () => {} };
    // Other tests' bare rows (already spent) may be salted too.
    expect(
      (await dailyCleanup(s.t.deps.db, s.clock.now(), retention, logger)).saltedRecoveryCodes,
    ).toBeGreaterThanOrEqual(2);
    expect(lines).toContain("recovery_codes_salted");
    expect(await storedOf(id)).toEqual(expected.sort());
    expect(await s.t.deps.db.recoveryCodes.countUnused(tenant.id, id)).toBe(2);
    expect(await verify(id, "mnopq-rstuv")).toBe("otp");
    expect(await verify(id, "wxyz2-34567")).toBeNull();
    expect((await dailyCleanup(s.t.deps.db, s.clock.now(), retention, logger)).saltedRecoveryCodes).toBe(0);
  });
});
