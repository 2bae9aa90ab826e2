import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApiKeyRecord, Database, ListingPosition, NewApiKey } from "../../src/core/ports/database.js";
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

    /** Creates a key well under any cap. */
    const create = async (input: NewApiKey) => {
      const created = await db.apiKeys.create(input, 1_000);
      if (!created) throw new Error("The key was refused.");
      return created;
    };
    /** The ids of one listing, whole. */
    const listed = async (tenant: string, owner?: string, now = at) =>
      (await db.apiKeys.listLive(tenant, owner, now, null, 1_000)).map((row) => row.key.id);

    it("stores a key and finds it by hash with every field intact", async () => {
      const input = key();
      const created = await create(input);
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
      await create(input);
      await expect(db.apiKeys.create(key({ keyHash: input.keyHash }), 1_000)).rejects.toThrow();
    });

    it("lists the owner's live keys newest first and revokes one once", async () => {
      const first = await create(key({ now: later(1) }));
      const second = await create(key({ now: later(2), expiresAt: null }));
      const ids = await listed(tenantId, userId);
      expect(ids.indexOf(second.id)).toBeLessThan(ids.indexOf(first.id));
      expect(await db.apiKeys.revoke(crypto.randomUUID(), userId, first.id, later(3))).toBeNull();
      expect(await db.apiKeys.revoke(tenantId, crypto.randomUUID(), first.id, later(3))).toBeNull();
      const revoked = await db.apiKeys.revoke(tenantId, userId, first.id, later(3));
      expect(revoked).toMatchObject({ id: first.id, keyHash: first.keyHash, revokedAt: later(3) });
      expect(await db.apiKeys.revoke(tenantId, userId, first.id, later(4))).toBeNull();
      expect(await listed(tenantId, userId)).not.toContain(first.id);
      expect((await db.apiKeys.findByHash(first.keyHash))?.revokedAt).toEqual(later(3));
    });

    it("keeps service keys without an owner, lists the tenant's keys, and revokes all of one owner at once", async () => {
      const own = await seedTenant(db, "svc", at);
      const person = await seedUser(db, own, at);
      const other = await seedUser(db, own, at);
      const service = await create(key({ tenantId: own, userId: null, now: later(1) }));
      expect(await db.apiKeys.findByHash(service.keyHash)).toMatchObject({ userId: null, tenantId: own });
      const a = await create(key({ tenantId: own, userId: person, now: later(2) }));
      const b = await create(key({ tenantId: own, userId: person, now: later(3) }));
      const c = await create(key({ tenantId: own, userId: other, now: later(4) }));
      expect(await listed(own)).toEqual([c.id, b.id, a.id, service.id]);
      expect(await listed(own, person)).toEqual([b.id, a.id]);

      const ended = await db.apiKeys.revokeAllOfOwner(own, person, later(5));
      expect(ended.map((k) => k.keyHash).sort()).toEqual([a.keyHash, b.keyHash].sort());
      expect(await db.apiKeys.revokeAllOfOwner(own, person, later(6))).toEqual([]);
      expect(await listed(own)).toEqual([c.id, service.id]);
      // Any key of the tenant, the service key included, when no owner is named (an admin's revocation).
      expect(await db.apiKeys.revoke(tenantId, undefined, service.id, later(7))).toBeNull();
      expect(await db.apiKeys.revoke(own, undefined, service.id, later(7))).toMatchObject({ revokedAt: later(7) });
      expect(await listed(own)).toEqual([c.id]);
    });

    it("lists a page at a time after a position, keys of one instant by id, expired keys left out", async () => {
      const own = await seedTenant(db, "pages", at);
      const person = await seedUser(db, own, at);
      // Three keys in one millisecond, and one whose created_at has microseconds (as now() would write).
      const keys = [
        await create(key({ tenantId: own, userId: person, now: later(1) })),
        ...(await Promise.all([0, 1, 2].map(() => create(key({ tenantId: own, userId: person, now: later(2) }))))),
        await create(key({ tenantId: own, userId: person, now: later(3) })),
      ];
      const fine = keys[4] as ApiKeyRecord;
      await h.rows("UPDATE api_keys SET created_at = created_at + interval '7 microseconds' WHERE id = $1", [fine.id]);
      const expired = await create(key({ tenantId: own, userId: person, now: later(4), expiresAt: later(10) }));
      const expected = [
        fine.id,
        ...[keys[1], keys[2], keys[3]]
          .map((k) => k?.id as string)
          .sort()
          .reverse(),
        keys[0]?.id,
      ];
      expect(await listed(own, person, later(9))).toEqual([expired.id, ...expected]);
      // At its expiry a key is no longer listed.
      expect(await listed(own, person, later(10))).toEqual(expected);

      const seen: string[] = [];
      let after: ListingPosition | null = null;
      for (;;) {
        const page: { key: ApiKeyRecord; position: ListingPosition }[] = await db.apiKeys.listLive(
          own,
          person,
          later(10),
          after,
          2,
        );
        seen.push(...page.map((row) => row.key.id));
        if (page.length < 2) break;
        after = page.at(-1)?.position ?? null;
      }
      expect(seen).toEqual(expected);
      const [first] = await db.apiKeys.listLive(own, person, later(10), null, 1);
      expect(first?.position).toEqual({ at: "2026-05-06T07:08:09.013007Z", id: fine.id });
      expect(await db.apiKeys.listLive(own, undefined, later(10), null, 10)).toHaveLength(5);
    });

    it("refuses a key beyond its owner's cap of usable keys, and service keys beyond the tenant's", async () => {
      const own = await seedTenant(db, "cap", at);
      const [person, other] = [await seedUser(db, own, at), await seedUser(db, own, at)];
      const mine = (overrides: Partial<NewApiKey> = {}) => key({ tenantId: own, userId: person, ...overrides });
      const first = await create(mine());
      await create(mine({ expiresAt: later(5) }));
      expect(await db.apiKeys.create(mine(), 2)).toBeNull();
      // Another owner's keys, and the tenant's service keys, count apart.
      expect(await db.apiKeys.create(key({ tenantId: own, userId: other }), 2)).not.toBeNull();
      expect(await db.apiKeys.create(key({ tenantId: own, userId: null }), 1)).not.toBeNull();
      expect(await db.apiKeys.create(key({ tenantId: own, userId: null }), 1)).toBeNull();
      // A revoked key, and one past its expiry, no longer count.
      await db.apiKeys.revoke(own, person, first.id, later(1));
      const third = await db.apiKeys.create(mine({ now: later(1) }), 2);
      expect(third).toMatchObject({ userId: person, createdAt: later(1), revokedAt: null, lastUsedAt: null });
      expect(await db.apiKeys.create(mine({ now: later(4) }), 2)).toBeNull();
      expect(await db.apiKeys.create(mine({ now: later(5) }), 2)).not.toBeNull();
      expect(await listed(own, person, later(5))).toHaveLength(2);
    });

    it("records the last use", async () => {
      const created = await create(key());
      await db.apiKeys.recordUse(created.id, later(5));
      expect((await db.apiKeys.findByHash(created.keyHash))?.lastUsedAt).toEqual(later(5));
    });
  });
}
