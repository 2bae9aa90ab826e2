import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/core/ports/database.js";

export interface DatabaseHarness {
  db: Database;
  close(): Promise<void>;
}

const at = new Date("2026-03-04T05:06:07.089Z");
const uuid = () => crypto.randomUUID();
const slug = (label: string) => `${label}-${uuid().slice(0, 8)}`;

/**
 * The repository layer's contract. The same repositories run on every driver
 * (PGlite, pg over TCP, neon-http through the bridge) and must behave alike.
 */
export function repositoryContract(name: string, open: () => Promise<DatabaseHarness>): void {
  describe(`Repository contract: ${name}`, () => {
    let h: DatabaseHarness;
    let db: Database;

    beforeAll(async () => {
      h = await open();
      db = h.db;
    });
    afterAll(async () => {
      await h.close();
    });

    it("answers ping", async () => {
      await expect(db.ping()).resolves.toBeUndefined();
    });

    it("finds nothing for an unknown slug", async () => {
      expect(await db.tenants.findBySlug("no-such-tenant")).toBeNull();
    });

    it("creates a tenant and finds it by slug with every field intact", async () => {
      const id = uuid();
      const s = slug("acme");
      const created = await db.tenants.createIfAbsent({ id, slug: s, name: "Acme Ünïcode", now: at });
      expect(created).toEqual({ id, slug: s, name: "Acme Ünïcode", settings: {}, createdAt: at, updatedAt: at });
      expect(await db.tenants.findBySlug(s)).toEqual(created);
    });

    it("refuses a second live tenant with the same slug", async () => {
      const s = slug("dup");
      expect(await db.tenants.createIfAbsent({ id: uuid(), slug: s, name: "One", now: at })).not.toBeNull();
      expect(await db.tenants.createIfAbsent({ id: uuid(), slug: s, name: "Two", now: at })).toBeNull();
      expect((await db.tenants.findBySlug(s))?.name).toBe("One");
    });

    it("lets exactly one of several concurrent creations of a slug win", async () => {
      const s = slug("race");
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) => db.tenants.createIfAbsent({ id: uuid(), slug: s, name: `T${i}`, now: at })),
      );
      expect(results.filter((r) => r !== null)).toHaveLength(1);
    });

    it("soft-deletes: the tenant disappears and its slug becomes free", async () => {
      const s = slug("gone");
      const first = await db.tenants.createIfAbsent({ id: uuid(), slug: s, name: "Old", now: at });
      expect(await db.tenants.softDelete(first?.id ?? "", new Date(at.getTime() + 1_000))).toBe(true);
      expect(await db.tenants.findBySlug(s)).toBeNull();
      expect(await db.tenants.softDelete(first?.id ?? "", at)).toBe(false);
      const second = await db.tenants.createIfAbsent({ id: uuid(), slug: s, name: "New", now: at });
      expect(second?.name).toBe("New");
      expect(second?.id).not.toBe(first?.id);
    });

    it("enforces the slug format in the database itself", async () => {
      await expect(db.tenants.createIfAbsent({ id: uuid(), slug: "Not Valid!", name: "x", now: at })).rejects.toThrow();
    });

    it("refuses a malformed id instead of storing it", async () => {
      await expect(
        db.tenants.createIfAbsent({ id: "not-a-uuid", slug: slug("bad"), name: "x", now: at }),
      ).rejects.toThrow();
    });
  });
}
