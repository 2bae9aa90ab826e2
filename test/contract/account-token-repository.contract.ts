import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database, NewAccountToken } from "../../src/core/ports/database.js";
import type { DatabaseHarness } from "./repositories.contract.js";
import { seedTenant, seedUser } from "./seed.js";

const at = new Date("2026-03-04T05:06:07.089Z");
const later = (ms: number) => new Date(at.getTime() + ms);

/** Mailed single-use tokens: every driver spends a token once, only for its tenant and purpose, never after expiry. */
export function accountTokenRepositoryContract(name: string, open: () => Promise<DatabaseHarness>): void {
  describe(`Account token repository contract: ${name}`, () => {
    let h: DatabaseHarness;
    let db: Database;
    let tenantId: string;
    let otherTenantId: string;
    let userId: string;

    beforeAll(async () => {
      h = await open();
      db = h.db;
      tenantId = await seedTenant(db, "tok", at);
      otherTenantId = await seedTenant(db, "tok-other", at);
      userId = await seedUser(db, tenantId, at);
    });
    afterAll(async () => {
      await h.close();
    });

    const token = (overrides: Partial<NewAccountToken> = {}): NewAccountToken => ({
      tokenHash: crypto.randomUUID(),
      tenantId,
      userId,
      purpose: "password_reset",
      emailIndex: "k1:index",
      emailSealed: null,
      createdAt: at,
      expiresAt: later(30 * 60_000),
      ...overrides,
    });

    it("spends a token once and returns it whole", async () => {
      const t = token({ purpose: "change_email", emailSealed: "sealed-new" });
      await db.accountTokens.create(t);
      const spent = await db.accountTokens.consume(tenantId, t.tokenHash, ["change_email"], later(1_000));
      expect(spent).toEqual({ ...t, usedAt: later(1_000) });
      expect(await db.accountTokens.consume(tenantId, t.tokenHash, ["change_email"], later(2_000))).toBeNull();
    });

    it("lets exactly one of concurrent consumers win", async () => {
      const t = token();
      await db.accountTokens.create(t);
      const results = await Promise.all(
        Array.from({ length: 6 }, () => db.accountTokens.consume(tenantId, t.tokenHash, ["password_reset"], later(1))),
      );
      expect(results.filter((r) => r !== null)).toHaveLength(1);
    });

    it("refuses another tenant, another purpose and an expired token without spending it", async () => {
      const t = token();
      await db.accountTokens.create(t);
      expect(await db.accountTokens.consume(otherTenantId, t.tokenHash, ["password_reset"], later(1))).toBeNull();
      expect(await db.accountTokens.consume(tenantId, t.tokenHash, ["verify_email"], later(1))).toBeNull();
      expect(await db.accountTokens.consume(tenantId, t.tokenHash, ["password_reset"], t.expiresAt)).toBeNull();
      expect(await db.accountTokens.find(otherTenantId, t.tokenHash, ["password_reset"], later(1))).toBeNull();
      expect(await db.accountTokens.find(tenantId, t.tokenHash, ["verify_email"], later(1))).toBeNull();
      expect(await db.accountTokens.find(tenantId, t.tokenHash, ["password_reset"], t.expiresAt)).toBeNull();
      // Finding does not spend.
      expect(await db.accountTokens.find(tenantId, t.tokenHash, ["password_reset"], later(1))).toEqual({
        ...t,
        usedAt: null,
      });
      // None of those spent it.
      expect(await db.accountTokens.consume(tenantId, t.tokenHash, ["password_reset"], later(1))).not.toBeNull();
    });

    it("spends every open token of a user with the given purposes, and only those", async () => {
      const otherUser = await seedUser(db, tenantId, at);
      const reset = token();
      const change = token({ purpose: "change_email" });
      const verify = token({ purpose: "verify_email" });
      const othersReset = token({ userId: otherUser });
      for (const t of [reset, change, verify, othersReset]) await db.accountTokens.create(t);
      expect(await db.accountTokens.spendAll(tenantId, userId, ["password_reset", "change_email"], later(1))).toBe(2);
      expect(await db.accountTokens.consume(tenantId, reset.tokenHash, ["password_reset"], later(2))).toBeNull();
      expect(await db.accountTokens.consume(tenantId, change.tokenHash, ["change_email"], later(2))).toBeNull();
      expect(await db.accountTokens.consume(tenantId, verify.tokenHash, ["verify_email"], later(2))).not.toBeNull();
      expect(
        await db.accountTokens.consume(tenantId, othersReset.tokenHash, ["password_reset"], later(2)),
      ).not.toBeNull();
    });

    it("purges tokens that expired before the cutoff, used or not", async () => {
      const old = token({ expiresAt: later(-1_000) });
      const fresh = token({ expiresAt: later(60_000) });
      await db.accountTokens.create(old);
      await db.accountTokens.create(fresh);
      expect(await db.accountTokens.purgeExpired(at)).toBeGreaterThanOrEqual(1);
      expect(await db.accountTokens.consume(tenantId, fresh.tokenHash, ["password_reset"], later(1))).not.toBeNull();
      expect(await db.accountTokens.purgeExpired(at)).toBe(0);
    });
  });
}
