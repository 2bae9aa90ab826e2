import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/core/ports/database.js";
import type { DatabaseHarness } from "./repositories.contract.js";
import { newPasskey, seedTenant, seedUser } from "./seed.js";

const at = new Date("2026-03-04T05:06:07.089Z");
const later = (ms: number) => new Date(at.getTime() + ms);

/** TOTP authenticators and recovery codes: every driver confirms once, refuses replayed steps and spends codes once. */
export function mfaRepositoryContract(name: string, open: () => Promise<DatabaseHarness>): void {
  describe(`MFA repository contract: ${name}`, () => {
    let h: DatabaseHarness;
    let db: Database;
    let tenantId: string;
    let otherTenantId: string;

    beforeAll(async () => {
      h = await open();
      db = h.db;
      tenantId = await seedTenant(db, "mfa", at);
      otherTenantId = await seedTenant(db, "mfa-other", at);
    });
    afterAll(async () => {
      await h.close();
    });

    const pending = async (userId: string, secretSealed = "sealed") => {
      const id = crypto.randomUUID();
      await db.totp.createPending({ id, tenantId, userId, secretSealed, now: at });
      return id;
    };

    it("stores a pending authenticator, confirms it once with its first step, and finds it", async () => {
      const userId = await seedUser(db, tenantId, at);
      const id = await pending(userId, "k1:sealed-secret");
      expect(await db.totp.find(tenantId, userId, id)).toEqual({
        id,
        tenantId,
        userId,
        secretSealed: "k1:sealed-secret",
        confirmedAt: null,
        lastUsedStep: null,
        lastUsedAt: null,
        createdAt: at,
      });
      expect(await db.totp.findConfirmed(tenantId, userId)).toBeNull();
      expect(await db.totp.confirm(tenantId, userId, id, 59_000_000, later(1))).toBe(true);
      expect(await db.totp.confirm(tenantId, userId, id, 59_000_001, later(2))).toBe(false);
      expect(await db.totp.findConfirmed(tenantId, userId)).toMatchObject({
        id,
        confirmedAt: later(1),
        lastUsedStep: 59_000_000,
        lastUsedAt: later(1),
      });
      expect(await db.totp.find(otherTenantId, userId, id)).toBeNull();
    });

    it("accepts only steps later than the last accepted one, one of concurrent users of a step winning", async () => {
      const userId = await seedUser(db, tenantId, at);
      const id = await pending(userId);
      expect(await db.totp.useStep(tenantId, userId, id, 10, at)).toBe(false); // pending
      await db.totp.confirm(tenantId, userId, id, 10, at);
      expect(await db.totp.useStep(tenantId, userId, id, 10, later(1))).toBe(false);
      expect(await db.totp.useStep(tenantId, userId, id, 9, later(1))).toBe(false);
      const racing = await Promise.all(
        Array.from({ length: 5 }, () => db.totp.useStep(tenantId, userId, id, 11, later(2))),
      );
      expect(racing.filter(Boolean)).toHaveLength(1);
      expect((await db.totp.find(tenantId, userId, id))?.lastUsedStep).toBe(11);
    });

    it("keeps one confirmed authenticator per user; a new enrollment drops the earlier pending one", async () => {
      const userId = await seedUser(db, tenantId, at);
      const first = await pending(userId);
      const second = await pending(userId);
      expect(await db.totp.find(tenantId, userId, first)).toBeNull();
      expect(await db.totp.confirm(tenantId, userId, second, 1, at)).toBe(true);
      const third = await pending(userId);
      expect(await db.totp.confirm(tenantId, userId, third, 2, at)).toBe(false);
      expect((await db.totp.findConfirmed(tenantId, userId))?.id).toBe(second);
    });

    it("tells which kinds of second factor a user has: confirmed, live and the user's own only", async () => {
      const userId = await seedUser(db, tenantId, at);
      const neighbour = await seedUser(db, tenantId, at);
      const kinds = () => db.users.secondFactorKinds(tenantId, userId);
      expect(await kinds()).toEqual([]);
      const totpId = await pending(userId);
      expect(await kinds()).toEqual([]); // pending is not a factor yet
      await db.totp.confirm(tenantId, userId, totpId, 1, at);
      expect(await kinds()).toEqual(["totp"]);
      const passkey = newPasskey({ tenantId, userId }, at);
      expect(await db.passkeys.create(passkey, 50)).toMatchObject({ id: passkey.id });
      expect(await kinds()).toEqual(["totp", "passkey"]);
      expect(await db.totp.remove(tenantId, userId, totpId, later(1))).toBe(true);
      expect(await kinds()).toEqual(["passkey"]);
      // Another user's factors, and this user's id under another tenant, count for nothing.
      expect(await db.users.secondFactorKinds(tenantId, neighbour)).toEqual([]);
      expect(await db.users.secondFactorKinds(otherTenantId, userId)).toEqual([]);
      expect(await db.users.secondFactorKinds(tenantId, crypto.randomUUID())).toEqual([]); // no such user
      expect(await db.passkeys.remove(tenantId, userId, passkey.id, later(2))).toBe(true);
      expect(await kinds()).toEqual([]);
    });

    it("removes one authenticator or all of a user's", async () => {
      const userId = await seedUser(db, tenantId, at);
      const id = await pending(userId);
      await db.totp.confirm(tenantId, userId, id, 1, at);
      expect(await db.totp.remove(otherTenantId, userId, id, at)).toBe(false);
      expect(await db.totp.remove(tenantId, userId, id, later(1))).toBe(true);
      expect(await db.totp.remove(tenantId, userId, id, later(2))).toBe(false);
      expect(await db.totp.findConfirmed(tenantId, userId)).toBeNull();
      const again = await pending(userId);
      expect(await db.totp.confirm(tenantId, userId, again, 2, at)).toBe(true);
      await pending(userId);
      expect(await db.totp.removeAll(tenantId, userId, later(3))).toBe(2);
      expect(await db.totp.find(tenantId, userId, again)).toBeNull();
    });

    /** The user's authenticator rows as stored, removed ones included. */
    const rowsOf = async (userId: string) =>
      (
        await h.rows("SELECT id, secret_sealed, confirmed_at, deleted_at FROM mfa_totp WHERE user_id = $1", [userId])
      ).map((row) => ({
        id: row.id,
        secret: row.secret_sealed,
        confirmed: row.confirmed_at !== null,
        removed: row.deleted_at !== null,
      }));
    /** A removed, never confirmed row with its secret, as an earlier release left an abandoned enrollment. */
    const abandonedEarlier = async (tenant: string, userId: string, secret: string) => {
      const id = crypto.randomUUID();
      await h.rows(
        `INSERT INTO mfa_totp (id, tenant_id, user_id, secret_sealed, created_at, updated_at, deleted_at)
         VALUES ($1, $2, $3, $4, $5, $5, $5)`,
        [id, tenant, userId, secret, at.toISOString()],
      );
      return id;
    };

    it("deletes the earlier unconfirmed rows of a user at a new enrollment, secrets and all", async () => {
      const userId = await seedUser(db, tenantId, at);
      const neighbour = await seedUser(db, tenantId, at);
      const theirs = await pending(neighbour, "theirs");
      await abandonedEarlier(tenantId, userId, "left-by-an-earlier-release");
      for (let i = 0; i < 5; i++) await pending(userId, `secret-${i}`);
      const last = await pending(userId, "last");
      expect(await rowsOf(userId)).toEqual([{ id: last, secret: "last", confirmed: false, removed: false }]);
      // A confirmed authenticator removed later stays as a soft-deleted row; a new enrollment leaves it.
      await db.totp.confirm(tenantId, userId, last, 1, at);
      await db.totp.remove(tenantId, userId, last, later(1));
      const next = await pending(userId, "next");
      expect(await rowsOf(userId)).toEqual(
        expect.arrayContaining([
          { id: last, secret: "", confirmed: true, removed: true },
          { id: next, secret: "next", confirmed: false, removed: false },
        ]),
      );
      expect(await rowsOf(userId)).toHaveLength(2);
      expect(await db.totp.find(tenantId, neighbour, theirs)).not.toBeNull();
    });

    /** A live pending row beside the user's others, as concurrent enrollment starts leave them. */
    const startedBeside = async (userId: string, secret: string) => {
      const id = crypto.randomUUID();
      await h.rows(
        `INSERT INTO mfa_totp (id, tenant_id, user_id, secret_sealed, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $5)`,
        [id, tenantId, userId, secret, at.toISOString()],
      );
      return id;
    };

    it("ends the enrollments started beside the one confirmed, and the daily purge those left earlier", async () => {
      const userId = await seedUser(db, tenantId, at);
      const chosen = await pending(userId, "chosen");
      await startedBeside(userId, "beside-1");
      await startedBeside(userId, "beside-2");
      expect(await db.totp.confirm(tenantId, userId, chosen, 1, at)).toBe(true);
      expect(await rowsOf(userId)).toEqual([{ id: chosen, secret: "chosen", confirmed: true, removed: false }]);
      // Left beside a confirmed one before confirmation ended them: purged; a lone pending enrollment is not.
      const leftBeside = await startedBeside(userId, "left");
      const lone = await seedUser(db, tenantId, at);
      const open = await pending(lone, "open");
      while ((await db.totp.purgeAbandoned(100)) > 0);
      expect((await rowsOf(userId)).map((row) => row.id)).toEqual([chosen]);
      expect((await rowsOf(userId)).map((row) => row.id)).not.toContain(leftBeside);
      expect(await rowsOf(lone)).toEqual([{ id: open, secret: "open", confirmed: false, removed: false }]);
    });

    it("deletes a removed pending authenticator's row and soft-deletes a confirmed one, its secret erased", async () => {
      const userId = await seedUser(db, tenantId, at);
      const first = await pending(userId);
      expect(await db.totp.remove(tenantId, userId, first, later(1))).toBe(true);
      expect(await rowsOf(userId)).toEqual([]);
      const confirmed = await pending(userId, "confirmed");
      await db.totp.confirm(tenantId, userId, confirmed, 1, at);
      await pending(userId, "open");
      expect(await db.totp.removeAll(tenantId, userId, later(2))).toBe(2);
      expect(await rowsOf(userId)).toEqual([{ id: confirmed, secret: "", confirmed: true, removed: true }]);
    });

    it("purges removed, never confirmed rows of every tenant, `limit` at a time, and nothing else", async () => {
      const userId = await seedUser(db, tenantId, at);
      const elsewhere = await seedUser(db, otherTenantId, at);
      const live = await pending(userId, "live");
      for (let i = 0; i < 3; i++) await abandonedEarlier(tenantId, userId, `old-${i}`);
      const kept = crypto.randomUUID();
      await db.totp.createPending({
        id: kept,
        tenantId: otherTenantId,
        userId: elsewhere,
        secretSealed: "kept",
        now: at,
      });
      await db.totp.confirm(otherTenantId, elsewhere, kept, 1, at);
      await db.totp.remove(otherTenantId, elsewhere, kept, later(1));
      await abandonedEarlier(otherTenantId, elsewhere, "old-elsewhere");
      let purged = 0;
      for (let batch = await db.totp.purgeAbandoned(2); batch > 0; batch = await db.totp.purgeAbandoned(2)) {
        expect(batch).toBeLessThanOrEqual(2);
        purged += batch;
      }
      // Other suites' rows may be purged too: at least these four.
      expect(purged).toBeGreaterThanOrEqual(4);
      expect(await rowsOf(userId)).toEqual([{ id: live, secret: "live", confirmed: false, removed: false }]);
      expect(await rowsOf(elsewhere)).toEqual([{ id: kept, secret: "", confirmed: true, removed: true }]);
    });

    it("spends a recovery code once, replaces a generation whole and removes all", async () => {
      const userId = await seedUser(db, tenantId, at);
      const hashes = Array.from({ length: 10 }, (_, i) => `hash-${i}`);
      await db.recoveryCodes.replaceAll(tenantId, userId, hashes, at);
      expect(await db.recoveryCodes.countUnused(tenantId, userId)).toBe(10);
      expect(await db.recoveryCodes.consume(otherTenantId, userId, ["hash-0"], at)).toBe(false);
      const racing = await Promise.all(
        Array.from({ length: 5 }, () => db.recoveryCodes.consume(tenantId, userId, ["hash-0"], later(1))),
      );
      expect(racing.filter(Boolean)).toHaveLength(1);
      expect(await db.recoveryCodes.countUnused(tenantId, userId)).toBe(9);
      await db.recoveryCodes.replaceAll(tenantId, userId, ["new-0", "new-1", "new-2"], later(2));
      expect(await db.recoveryCodes.countUnused(tenantId, userId)).toBe(3);
      expect(await db.recoveryCodes.consume(tenantId, userId, ["hash-1"], later(3))).toBe(false);
      expect(await db.recoveryCodes.consume(tenantId, userId, ["other", "new-1"], later(3))).toBe(true);
      expect(await db.recoveryCodes.removeAll(tenantId, userId)).toBe(3);
      expect(await db.recoveryCodes.countUnused(tenantId, userId)).toBe(0);
    });

    it("lists the codes stored without a format prefix and rehashes one in place, spent or not", async () => {
      const userId = await seedUser(db, tenantId, at);
      const bare = ["a".repeat(64), "b".repeat(64)];
      await db.recoveryCodes.replaceAll(tenantId, userId, [...bare, `v2:${"c".repeat(64)}`], at);
      expect(await db.recoveryCodes.consume(tenantId, userId, [bare[1] ?? ""], at)).toBe(true);
      const mine = async () =>
        (await db.recoveryCodes.listUnsalted(1_000)).filter((row) => row.userId === userId).map((row) => row.codeHash);
      expect((await mine()).sort()).toEqual(bare);
      expect((await db.recoveryCodes.listUnsalted(1)).length).toBe(1);
      // Other suites' unsalted rows may be listed too: a row carries its own tenant and user.
      expect((await db.recoveryCodes.listUnsalted(1_000)).find((row) => row.userId === userId)).toMatchObject({
        tenantId,
      });
      for (const [i, from] of bare.entries()) {
        expect(await db.recoveryCodes.rehash(otherTenantId, userId, from, `v1:${i}`)).toBe(false);
        expect(await db.recoveryCodes.rehash(tenantId, userId, from, `v1:${i}`)).toBe(true);
        expect(await db.recoveryCodes.rehash(tenantId, userId, from, `v1:${i}`)).toBe(false);
      }
      expect(await mine()).toEqual([]);
      // The rehashed unused code spends under its new value; the spent one stays spent.
      expect(await db.recoveryCodes.countUnused(tenantId, userId)).toBe(2);
      expect(await db.recoveryCodes.consume(tenantId, userId, [bare[0] ?? ""], later(1))).toBe(false);
      expect(await db.recoveryCodes.consume(tenantId, userId, ["v1:1"], later(1))).toBe(false);
      expect(await db.recoveryCodes.consume(tenantId, userId, ["v1:0"], later(1))).toBe(true);
      expect(await db.recoveryCodes.countUnused(tenantId, userId)).toBe(1);
    });
  });
}
