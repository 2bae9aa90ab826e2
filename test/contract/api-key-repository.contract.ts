import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database, NewApiKey } from "../../src/core/ports/database.js";
import type { DatabaseHarness } from "./repositories.contract.js";
import { seedTenant, seedUser } from "./seed.js";

const at = new Date("2026-05-06T07:08:09.010Z");
const later = (ms: number) => new Date(at.getTime() + ms);

/** API keys on every driver (PGlite, pg, neon-http). */
export function apiKeyRepositoryContract(name: string, open: () => Promise<DatabaseHarness>): void {
  describe(`API key repository contract: ${name}`, () => {
    let h: DatabaseHarness;
    let db: Database;
    let tenantId: string;
    let userId: string;

    beforeAll(async () => {
      h = await open();
      db = h.db;
      tenantId = await seedTenant(db, "k", at);
      userId = await seedUser(db, tenantId, at);
    });
    afterAll(async () => {
      await h.close();
    });

    const key = (overrides: Partial<NewApiKey> = {}): NewApiKey => ({
      id: crypto.randomUUID(),
      tenantId,
      userId,
      name: "ci ✓",
      prefix: "sk_abcdef",
      keyHash: crypto.randomUUID().replace(/-/g, "").repeat(2),
      scopes: ["openid", "admin"],
      expiresAt: later(86_400_000),
      now: at,
      ...overrides,
    });

    it("stores a key and finds it by hash with every field intact", async () => {
      const input = key();
      const created = await db.apiKeys.create(input);
      expect(created).toEqual({
        id: input.id,
        tenantId,
        userId,
        name: "ci ✓",
        prefix: "sk_abcdef",
        keyHash: input.keyHash,
        scopes: ["openid", "admin"],
        expiresAt: later(86_400_000),
        lastUsedAt: null,
        revokedAt: null,
        createdAt: at,
      });
      expect(await db.apiKeys.findByHash(input.keyHash)).toEqual(created);
      expect(await db.apiKeys.findByHash("0".repeat(64))).toBeNull();
    });

    it("refuses a second key with the same hash", async () => {
      const input = key();
      await db.apiKeys.create(input);
      await expect(db.apiKeys.create(key({ keyHash: input.keyHash }))).rejects.toThrow();
    });

    it("lists the owner's live keys newest first and revokes one once", async () => {
      const first = await db.apiKeys.create(key({ now: later(1) }));
      const second = await db.apiKeys.create(key({ now: later(2), expiresAt: null }));
      const ids = (await db.apiKeys.listLive(tenantId, userId)).map((k) => k.id);
      expect(ids.indexOf(second.id)).toBeLessThan(ids.indexOf(first.id));
      expect(await db.apiKeys.revoke(crypto.randomUUID(), userId, first.id, later(3))).toBeNull();
      expect(await db.apiKeys.revoke(tenantId, crypto.randomUUID(), first.id, later(3))).toBeNull();
      const revoked = await db.apiKeys.revoke(tenantId, userId, first.id, later(3));
      expect(revoked).toMatchObject({ id: first.id, keyHash: first.keyHash, revokedAt: later(3) });
      expect(await db.apiKeys.revoke(tenantId, userId, first.id, later(4))).toBeNull();
      expect((await db.apiKeys.listLive(tenantId, userId)).map((k) => k.id)).not.toContain(first.id);
      expect((await db.apiKeys.findByHash(first.keyHash))?.revokedAt).toEqual(later(3));
    });

    it("keeps service keys without an owner, lists the tenant's keys, and revokes all of one owner at once", async () => {
      const own = await seedTenant(db, "svc", at);
      const person = await seedUser(db, own, at);
      const other = await seedUser(db, own, at);
      const service = await db.apiKeys.create(key({ tenantId: own, userId: null, now: later(1) }));
      expect(await db.apiKeys.findByHash(service.keyHash)).toMatchObject({ userId: null, tenantId: own });
      const a = await db.apiKeys.create(key({ tenantId: own, userId: person, now: later(2) }));
      const b = await db.apiKeys.create(key({ tenantId: own, userId: person, now: later(3) }));
      const c = await db.apiKeys.create(key({ tenantId: own, userId: other, now: later(4) }));
      expect((await db.apiKeys.listLive(own)).map((k) => k.id)).toEqual([c.id, b.id, a.id, service.id]);
      expect((await db.apiKeys.listLive(own, person)).map((k) => k.id)).toEqual([b.id, a.id]);

      const ended = await db.apiKeys.revokeAllOfOwner(own, person, later(5));
      expect(ended.map((k) => k.keyHash).sort()).toEqual([a.keyHash, b.keyHash].sort());
      expect(await db.apiKeys.revokeAllOfOwner(own, person, later(6))).toEqual([]);
      expect((await db.apiKeys.listLive(own)).map((k) => k.id)).toEqual([c.id, service.id]);
      // Any key of the tenant, the service key included, when no owner is named (an admin's revocation).
      expect(await db.apiKeys.revoke(tenantId, undefined, service.id, later(7))).toBeNull();
      expect(await db.apiKeys.revoke(own, undefined, service.id, later(7))).toMatchObject({ revokedAt: later(7) });
      expect((await db.apiKeys.listLive(own)).map((k) => k.id)).toEqual([c.id]);
    });

    it("records the last use", async () => {
      const created = await db.apiKeys.create(key());
      await db.apiKeys.recordUse(created.id, later(5));
      expect((await db.apiKeys.findByHash(created.keyHash))?.lastUsedAt).toEqual(later(5));
    });
  });
}
