import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database, RevokedAccessToken } from "../../src/core/ports/database.js";
import type { DatabaseHarness } from "./repositories.contract.js";
import { seedTenant } from "./seed.js";

const at = new Date("2026-03-04T05:06:07.089Z");
const later = (ms: number) => new Date(at.getTime() + ms);

/** Access tokens revoked one by one: every driver keeps them per tenant and session until they expire. */
export function revokedAccessTokenRepositoryContract(name: string, open: () => Promise<DatabaseHarness>): void {
  describe(`Revoked access token repository contract: ${name}`, () => {
    let h: DatabaseHarness;
    let db: Database;
    let tenantId: string;
    let otherTenantId: string;

    beforeAll(async () => {
      h = await open();
      db = h.db;
      tenantId = await seedTenant(db, "revoked", at);
      otherTenantId = await seedTenant(db, "revoked-other", at);
    });
    afterAll(async () => {
      await h.close();
    });

    const token = (overrides: Partial<RevokedAccessToken> = {}): RevokedAccessToken => ({
      tenantId,
      sessionId: crypto.randomUUID(),
      jti: crypto.randomUUID(),
      expiresAt: later(600_000),
      ...overrides,
    });

    it("lists a session's unexpired revoked tokens, with every field intact", async () => {
      const first = token();
      const second = token({ sessionId: first.sessionId, expiresAt: later(60_000) });
      const expired = token({ sessionId: first.sessionId, expiresAt: later(1_000) });
      for (const t of [first, second, expired]) await db.revokedAccessTokens.record(t);
      const live = await db.revokedAccessTokens.listLive(tenantId, first.sessionId, later(1_000));
      expect(live.sort((a, b) => a.expiresAt.getTime() - b.expiresAt.getTime())).toEqual([second, first]);
    });

    it("keeps sessions and tenants apart", async () => {
      const mine = token();
      await db.revokedAccessTokens.record(mine);
      await db.revokedAccessTokens.record(token({ tenantId: otherTenantId, sessionId: mine.sessionId }));
      await db.revokedAccessTokens.record(token());
      expect(await db.revokedAccessTokens.listLive(tenantId, mine.sessionId, at)).toEqual([mine]);
      expect(await db.revokedAccessTokens.listLive(tenantId, crypto.randomUUID(), at)).toEqual([]);
    });

    it("takes the same revocation twice, also at once", async () => {
      const t = token();
      await Promise.all([db.revokedAccessTokens.record(t), db.revokedAccessTokens.record(t)]);
      await db.revokedAccessTokens.record(t);
      expect(await db.revokedAccessTokens.listLive(tenantId, t.sessionId, at)).toEqual([t]);
    });

    it("purges only what expired before the cutoff", async () => {
      const gone = token({ expiresAt: later(-1_000) });
      const kept = token({ sessionId: gone.sessionId, expiresAt: later(1_000) });
      await db.revokedAccessTokens.record(gone);
      await db.revokedAccessTokens.record(kept);
      expect(await db.revokedAccessTokens.purgeExpired(at)).toBeGreaterThanOrEqual(1);
      expect(await db.revokedAccessTokens.listLive(tenantId, gone.sessionId, later(-60_000))).toEqual([kept]);
    });

    it("refuses a token of no tenant", async () => {
      await expect(db.revokedAccessTokens.record(token({ tenantId: crypto.randomUUID() }))).rejects.toThrow();
    });
  });
}
