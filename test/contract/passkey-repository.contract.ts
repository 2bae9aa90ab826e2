import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database, NewPasskey } from "../../src/core/ports/database.js";
import type { DatabaseHarness } from "./repositories.contract.js";
import { newPasskey, seedTenant, seedUser } from "./seed.js";

const at = new Date("2026-07-08T09:10:11.012Z");
const later = (ms: number) => new Date(at.getTime() + ms);

/** Passkeys on every driver (PGlite, pg, neon-http). */
export function passkeyRepositoryContract(name: string, open: () => Promise<DatabaseHarness>): void {
  describe(`Passkey repository contract: ${name}`, () => {
    let h: DatabaseHarness;
    let db: Database;
    let tenantId: string;
    let userId: string;

    beforeAll(async () => {
      h = await open();
      db = h.db;
      tenantId = await seedTenant(db, "pk", at);
      userId = await seedUser(db, tenantId, at);
    });
    afterAll(async () => {
      await h.close();
    });

    const passkey = (overrides: Partial<NewPasskey> = {}): NewPasskey =>
      newPasskey({ tenantId, userId }, at, overrides);

    /** Stores a passkey well under any cap. */
    const create = async (input: NewPasskey) => {
      const created = await db.passkeys.create(input, 1_000);
      if (typeof created === "string") throw new Error(`The passkey was refused: ${created}`);
      return created;
    };

    it("stores a passkey and finds it by credential id with every field intact", async () => {
      const input = passkey({ counter: 2 ** 40 });
      const created = await create(input);
      const { now: _, ...fields } = input;
      expect(created).toEqual({ ...fields, createdAt: at, lastUsedAt: null });
      expect(await db.passkeys.findByCredentialId(tenantId, input.credentialId)).toEqual(created);
      expect(await db.passkeys.findByCredentialId(tenantId, "unknown")).toBeNull();
    });

    it("refuses a second live passkey with the same credential id in the tenant, not in another", async () => {
      const input = passkey();
      await create(input);
      expect(await db.passkeys.create(passkey({ credentialId: input.credentialId }), 1_000)).toBe("duplicate");
      const other = await seedTenant(db, "pk2", at);
      const otherUser = await seedUser(db, other, at);
      const elsewhere = await create(passkey({ tenantId: other, userId: otherUser, credentialId: input.credentialId }));
      expect(elsewhere.tenantId).toBe(other);
      expect((await db.passkeys.findByCredentialId(tenantId, input.credentialId))?.id).toBe(input.id);
    });

    it("lists, renames and removes only the user's own live passkeys", async () => {
      const user = await seedUser(db, tenantId, at);
      const first = await create(passkey({ userId: user, now: at }));
      const second = await create(passkey({ userId: user, now: later(1000), name: null }));
      expect((await db.passkeys.listOfUser(tenantId, user)).map((p) => p.id)).toEqual([first?.id, second?.id]);

      expect(await db.passkeys.rename(tenantId, userId, first?.id ?? "", "stolen", later(2000))).toBeNull();
      expect((await db.passkeys.rename(tenantId, user, first?.id ?? "", "Phone", later(2000)))?.name).toBe("Phone");

      expect(await db.passkeys.remove(tenantId, userId, first?.id ?? "", later(3000))).toBe(false);
      expect(await db.passkeys.remove(tenantId, user, first?.id ?? "", later(3000))).toBe(true);
      expect(await db.passkeys.remove(tenantId, user, first?.id ?? "", later(3000))).toBe(false);
      expect((await db.passkeys.listOfUser(tenantId, user)).map((p) => p.id)).toEqual([second?.id]);
      expect(await db.passkeys.findByCredentialId(tenantId, first?.credentialId ?? "")).toBeNull();

      expect(await db.passkeys.removeAllOfUser(tenantId, user, later(4000))).toBe(1);
      expect(await db.passkeys.listOfUser(tenantId, user)).toEqual([]);
    });

    it("refuses a passkey beyond the user's cap of live passkeys", async () => {
      const user = await seedUser(db, tenantId, at);
      const mine = () => passkey({ userId: user });
      const first = await create(mine());
      expect(await db.passkeys.create(mine(), 2)).not.toBe("full");
      expect(await db.passkeys.create(mine(), 2)).toBe("full");
      // Full, and a duplicate: the cap answers first, as nothing is inserted.
      expect(await db.passkeys.create(passkey({ userId: user, credentialId: first.credentialId }), 2)).toBe("full");
      // Another user's passkeys count apart; a removed one no longer counts.
      const other = await seedUser(db, tenantId, at);
      expect(await db.passkeys.create(passkey({ userId: other }), 1)).not.toBe("full");
      await db.passkeys.remove(tenantId, user, first.id, later(1));
      expect(await db.passkeys.create(mine(), 2)).toMatchObject({ userId: user, lastUsedAt: null });
      expect(await db.passkeys.listOfUser(tenantId, user)).toHaveLength(2);
    });

    it("records a use only against the expected counter", async () => {
      const created = await create(passkey({ counter: 5, backedUp: false }));
      const id = created?.id ?? "";
      expect(await db.passkeys.recordUse(id, 4, 9, true, later(1000))).toBe(false);
      expect(await db.passkeys.recordUse(id, 5, 6, true, later(1000))).toBe(true);
      const used = await db.passkeys.findByCredentialId(tenantId, created?.credentialId ?? "");
      expect(used).toMatchObject({ counter: 6, backedUp: true, lastUsedAt: later(1000) });
      expect(await db.passkeys.recordUse(id, 5, 7, true, later(2000))).toBe(false);
    });
  });
}
