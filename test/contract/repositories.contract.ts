import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditEventRecord, Database, UserPosition } from "../../src/core/ports/database.js";
import { seedTenant, seedUser } from "./seed.js";

export interface DatabaseHarness {
  db: Database;
  /** Reads the database around the repositories (the rows as stored), for what no repository returns. */
  rows(query: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
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

    it("lists live tenants by slug in byte order, page after page", async () => {
      const prefix = `list-${uuid().slice(0, 6)}`;
      // "-" sorts before digits and letters in byte order (not in every locale's collation).
      const slugs = [`${prefix}-b`, `${prefix}-a-z`, `${prefix}-a`, `${prefix}-a0`, `${prefix}-gone`];
      for (const s of slugs) await db.tenants.createIfAbsent({ id: uuid(), slug: s, name: s, now: at });
      const gone = await db.tenants.findBySlug(`${prefix}-gone`);
      await db.tenants.softDelete(gone?.id ?? "", at);
      const ours = async (after: string | null, limit: number) =>
        (await db.tenants.listBySlug(after, limit)).map((t) => t.slug).filter((s) => s.startsWith(prefix));
      expect(await ours(prefix, 1000)).toEqual([`${prefix}-a`, `${prefix}-a-z`, `${prefix}-a0`, `${prefix}-b`]);
      expect(await ours(`${prefix}-a-z`, 2)).toEqual([`${prefix}-a0`, `${prefix}-b`]);
      expect(await ours(`${prefix}-b`, 1000)).toEqual([]);
      const first = await db.tenants.listBySlug(null, 3);
      expect(first).toHaveLength(3);
      expect(first.map((t) => t.slug)).toEqual(first.map((t) => t.slug).sort());
      expect(first[0]).toEqual(await db.tenants.findBySlug(first[0]?.slug ?? ""));
    });

    it("stores the branding logo with its settings, reads it back byte for byte, and leaves it out of lookups", async () => {
      const created = await db.tenants.createIfAbsent({ id: uuid(), slug: slug("logo"), name: "Logo", now: at });
      const id = created?.id ?? "";
      expect(await db.tenants.findLogo(id)).toBeNull();
      const bytes = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 31) % 256);
      const later = new Date(at.getTime() + 1000);
      const updated = await db.tenants.mergeSettings(id, { branding: { logo: "x" } }, later, bytes);
      expect(updated).toEqual({ ...created, settings: { branding: { logo: "x" } }, updatedAt: later });
      expect(await db.tenants.findLogo(id)).toEqual(bytes);
      expect(await db.tenants.findBySlug(created?.slug ?? "")).toEqual(updated);
      // Without a logo argument the stored one stays; null removes it.
      await db.tenants.mergeSettings(id, { other: 1 }, later);
      expect(await db.tenants.findLogo(id)).toEqual(bytes);
      await db.tenants.mergeSettings(id, { branding: {} }, later, null);
      expect(await db.tenants.findLogo(id)).toBeNull();
      await db.tenants.mergeSettings(id, {}, later, bytes);
      await db.tenants.softDelete(id, later);
      expect(await db.tenants.findLogo(id)).toBeNull();
    });

    it("merges settings only while the expected ones still hold, absent and null told apart", async () => {
      const created = await db.tenants.createIfAbsent({
        id: uuid(),
        slug: slug("cas"),
        name: "Cas",
        settings: { redirect_uris: ["https://a.example/cb"], mfa_policy: null },
        now: at,
      });
      const id = created?.id ?? "";
      const later = new Date(at.getTime() + 1000);
      const uris = { redirect_uris: ["https://b.example/cb"] };
      expect(
        await db.tenants.mergeSettings(id, uris, later, undefined, { redirect_uris: ["https://x/cb"] }),
      ).toBeNull();
      expect(await db.tenants.mergeSettings(id, uris, later, undefined, { redirect_uris: undefined })).toBeNull();
      expect(await db.tenants.mergeSettings(id, uris, later, undefined, { mfa_policy: undefined })).toBeNull();
      expect((await db.tenants.findBySlug(created?.slug ?? ""))?.settings).toEqual(created?.settings);
      const expected = { redirect_uris: ["https://a.example/cb"], mfa_policy: null, branding: undefined };
      const updated = await db.tenants.mergeSettings(id, uris, later, undefined, expected);
      expect(updated?.settings).toEqual({ ...created?.settings, ...uris });
      // Of two writers expecting the same values, one changes the row; the other finds them gone.
      const next = { redirect_uris: uris.redirect_uris };
      const both = await Promise.all([
        db.tenants.mergeSettings(id, { redirect_uris: ["https://c.example/cb"] }, later, undefined, next),
        db.tenants.mergeSettings(id, { redirect_uris: ["https://d.example/cb"] }, later, undefined, next),
      ]);
      expect(both.filter((result) => result !== null)).toHaveLength(1);
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

    it("pages live tenants in id order", async () => {
      const seen: string[] = [];
      for (let after: string | null = null; ; ) {
        const page = await db.tenants.page(after, 3);
        if (page.length === 0) break;
        seen.push(...page.map((t) => t.id));
        after = page.at(-1)?.id ?? null;
      }
      expect(seen.length).toBeGreaterThan(3);
      expect(seen).toEqual([...seen].sort());
      expect(new Set(seen).size).toBe(seen.length);
    });

    it("enforces the slug format in the database itself", async () => {
      await expect(db.tenants.createIfAbsent({ id: uuid(), slug: "Not Valid!", name: "x", now: at })).rejects.toThrow();
    });

    it("refuses a malformed id instead of storing it", async () => {
      await expect(
        db.tenants.createIfAbsent({ id: "not-a-uuid", slug: slug("bad"), name: "x", now: at }),
      ).rejects.toThrow();
    });

    describe("users", () => {
      let tenantId: string;
      beforeAll(async () => {
        tenantId = uuid();
        await db.tenants.createIfAbsent({ id: tenantId, slug: slug("users"), name: "U", now: at });
      });
      const newUser = (emailIndex: string) => ({
        id: uuid(),
        tenantId,
        emailIndex,
        emailSealed: "sealed-email",
        nameSealed: null,
        emailVerified: false,
        passwordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaGhhc2g",
        scopes: ["admin"],
        now: at,
      });

      it("replaces a user's address (verified, version stamped), unless another live user has it", async () => {
        const user = await db.users.createIfAbsent(newUser(`k1:from-${uuid()}`));
        const holder = await db.users.createIfAbsent(newUser(`k1:held-${uuid()}`));
        if (!user || !holder) throw new Error("seed failed");
        const target = `k1:to-${uuid()}`;
        const changed = await db.users.replaceEmail(tenantId, user.id, { emailIndex: target, emailSealed: "new" }, at);
        expect(changed).toMatchObject({ emailIndex: target, emailSealed: "new", emailVerified: true });
        expect(changed !== "taken" && changed && changed.updatedAt > user.updatedAt).toBe(true);
        expect((await db.users.findByEmailIndex(tenantId, [target]))?.id).toBe(user.id);
        const refused = await db.users.replaceEmail(
          tenantId,
          user.id,
          { emailIndex: holder.emailIndex, emailSealed: "x" },
          at,
        );
        expect(refused).toBe("taken");
        expect((await db.users.findById(tenantId, user.id))?.emailIndex).toBe(target);
        expect(
          await db.users.replaceEmail(tenantId, uuid(), { emailIndex: `k1:${uuid()}`, emailSealed: "x" }, at),
        ).toBeNull();
      });

      it("creates a user and finds it by any of several email indexes and by id", async () => {
        const created = await db.users.createIfAbsent(newUser("k1:alice"));
        expect(created).toMatchObject({ emailIndex: "k1:alice", scopes: ["admin"], createdAt: at, lastLoginAt: null });
        expect((await db.users.findByEmailIndex(tenantId, ["k2:alice", "k1:alice"]))?.id).toBe(created?.id);
        expect(await db.users.findByEmailIndex(tenantId, [])).toBeNull();
        expect((await db.users.findById(tenantId, created?.id ?? ""))?.emailSealed).toBe("sealed-email");
        expect(await db.users.findById(uuid(), created?.id ?? "")).toBeNull();
      });

      it("finds, of several users with one of the indexes, the one whose index comes first", async () => {
        const first = await db.users.createIfAbsent(newUser(`k1:first-${uuid()}`));
        const second = await db.users.createIfAbsent(newUser(`k1:second-${uuid()}`));
        const [a, b] = [first?.emailIndex ?? "", second?.emailIndex ?? ""];
        expect((await db.users.findByEmailIndex(tenantId, ["k1:none", a, b]))?.id).toBe(first?.id);
        expect((await db.users.findByEmailIndex(tenantId, ["k1:none", b, a]))?.id).toBe(second?.id);
      });

      it("refuses a second live user with the same email index in the tenant", async () => {
        expect(await db.users.createIfAbsent(newUser("k1:bob"))).not.toBeNull();
        expect(await db.users.createIfAbsent(newUser("k1:bob"))).toBeNull();
      });

      it("replaces an upgraded password hash", async () => {
        const user = await db.users.createIfAbsent(newUser("k1:carol"));
        const later = new Date(at.getTime() + 60_000);
        await db.users.replacePasswordHash(tenantId, user?.id ?? "", "$argon2id$new", later);
        expect(await db.users.findById(tenantId, user?.id ?? "")).toMatchObject({
          passwordHash: "$argon2id$new",
          updatedAt: later,
        });
      });

      it("applies admin changes, stamping a strictly later updated_at even at the same instant", async () => {
        const user = await db.users.createIfAbsent(newUser("k1:erin"));
        const id = user?.id ?? "";
        const changed = await db.users.update(tenantId, id, { scopes: ["reports"], emailVerified: true }, at);
        expect(changed).toMatchObject({ scopes: ["reports"], emailVerified: true, disabledAt: null, nameSealed: null });
        expect(changed?.updatedAt.getTime()).toBeGreaterThan(at.getTime());
        const later = new Date(at.getTime() + 60_000);
        const disabled = await db.users.update(tenantId, id, { disabled: true, nameSealed: "sealed-name" }, later);
        expect(disabled).toMatchObject({ disabledAt: later, nameSealed: "sealed-name", scopes: ["reports"] });
        // Disabling again keeps when it was first disabled.
        expect(
          (await db.users.update(tenantId, id, { disabled: true }, new Date(later.getTime() + 1)))?.disabledAt,
        ).toEqual(later);
        expect((await db.users.update(tenantId, id, { disabled: false }, later))?.disabledAt).toBeNull();
        expect(await db.users.update(uuid(), id, { disabled: true }, later)).toBeNull();
      });

      it("applies changes with `was` only while updated_at and last_login_at are as read; of two such writers one wins", async () => {
        const created = await db.users.createIfAbsent(newUser(`k1:gus-${uuid()}`));
        if (!created) throw new Error("seed failed");
        const id = created.id;
        const login = (when: Date) =>
          db.sessions.create({
            id: uuid(),
            tenantId,
            userId: id,
            authMethod: "password",
            amr: ["pwd"],
            clientId: null,
            scope: "openid",
            userAgent: null,
            ip: null,
            authTime: when,
            lastUsedAt: when,
            expiresAt: new Date(when.getTime() + 60_000),
            absoluteExpiresAt: new Date(when.getTime() + 60_000),
            refreshHash: uuid(),
          });
        await login(new Date(at.getTime() + 1000));
        const read = await db.users.findById(tenantId, id);
        if (!read) throw new Error("The user is gone.");
        const both = await Promise.all([
          db.users.update(tenantId, id, { scopes: ["one"] }, at, read),
          db.users.update(tenantId, id, { scopes: ["two"] }, at, read),
        ]);
        expect(both.filter((result) => result !== null)).toHaveLength(1);
        const now = await db.users.findById(tenantId, id);
        expect(now?.scopes).toEqual(both.find((result) => result !== null)?.scopes);
        expect(await db.users.update(tenantId, id, { disabled: true }, at, read)).toBeNull();
        expect(await db.users.softDelete(tenantId, id, at, read)).toBe(false);
        if (!now) throw new Error("The user is gone.");
        // A login alone (last_login_at, not the version) is a change too.
        await login(new Date(at.getTime() + 2000));
        expect(await db.users.update(tenantId, id, { disabled: true }, at, now)).toBeNull();
        expect(await db.users.findById(tenantId, id)).toMatchObject({ disabledAt: null, updatedAt: now.updatedAt });
        const current = await db.users.findById(tenantId, id);
        expect(await db.users.update(tenantId, id, { disabled: true }, at, current ?? undefined)).toMatchObject({
          disabledAt: at,
        });
      });

      it("soft-deletes a user once: gone from lookups, the address free again", async () => {
        const user = await db.users.createIfAbsent(newUser("k1:fay"));
        const id = user?.id ?? "";
        expect(await db.users.softDelete(uuid(), id, at)).toBe(false);
        expect(await db.users.softDelete(tenantId, id, at)).toBe(true);
        expect(await db.users.softDelete(tenantId, id, at)).toBe(false);
        expect(await db.users.findById(tenantId, id)).toBeNull();
        expect(await db.users.findByEmailIndex(tenantId, ["k1:fay"])).toBeNull();
        expect(await db.users.update(tenantId, id, { scopes: [] }, at)).toBeNull();
        expect(await db.users.createIfAbsent(newUser("k1:fay"))).not.toBeNull();
      });

      it("lists a tenant's live users newest first by a (created_at, id) keyset, to the microsecond", async () => {
        const own = await seedTenant(db, "list", at);
        const ids: string[] = [];
        for (const ms of [0, 0, 0, 1, 2]) ids.push(await seedUser(db, own, new Date(at.getTime() + ms)));
        await db.users.softDelete(own, ids[4] ?? "", at);
        const seen: string[] = [];
        for (let after: UserPosition | null = null; ; ) {
          const page = await db.users.listLive(own, after, 2);
          if (page.length === 0) break;
          seen.push(...page.map((row) => row.user.id));
          after = page.at(-1)?.position ?? null;
        }
        const expected = [ids[3], ...[ids[0], ids[1], ids[2]].sort().reverse()];
        expect(seen).toEqual(expected);
        const [first] = await db.users.listLive(own, null, 1);
        expect(first?.position).toEqual({ createdAt: "2026-03-04T05:06:07.090000Z", id: ids[3] });
        expect(await db.users.listLive(await seedTenant(db, "empty", at), null, 10)).toEqual([]);
      });

      it("pages users in id order and reseals only untouched rows", async () => {
        const user = await db.users.createIfAbsent(newUser("k1:dave"));
        const all: string[] = [];
        for (let after: string | null = null; ; ) {
          const page = await db.users.page(after, 2);
          if (page.length === 0) break;
          all.push(...page.map((u) => u.id));
          after = page.at(-1)?.id ?? null;
        }
        expect(all).toEqual([...all].sort());
        expect(all).toContain(user?.id);
        const sealed = { emailIndex: "k2:dave", emailSealed: "resealed", nameSealed: null };
        expect(await db.users.reseal({ ...(user as NonNullable<typeof user>), updatedAt: new Date(0) }, sealed)).toBe(
          false,
        );
        expect(await db.users.reseal(user as NonNullable<typeof user>, sealed)).toBe(true);
        expect((await db.users.findById(tenantId, user?.id ?? ""))?.emailIndex).toBe("k2:dave");
        // Another account of the address under the other key (made while replicas disagreed on the first key).
        const twin = await db.users.createIfAbsent(newUser("k1:dave"));
        const taken = { emailIndex: "k2:dave", emailSealed: "twin", nameSealed: null };
        expect(await db.users.reseal(twin as NonNullable<typeof twin>, taken)).toBe("taken");
        expect((await db.users.findById(tenantId, twin?.id ?? ""))?.emailIndex).toBe("k1:dave");
      });
    });

    describe("signing keys", () => {
      const key = (tenantId: string, label: string) => ({
        id: uuid(),
        tenantId,
        kid: `${label}-${uuid().slice(0, 6)}`,
        alg: "ES256" as const,
        publicJwk: { kty: "EC", crv: "P-256", x: label, y: label },
        privateKeySealed: `sealed-${label}`,
        createdAt: at,
      });
      const newTenant = async () => {
        const id = uuid();
        await db.tenants.createIfAbsent({ id, slug: slug("keys"), name: "K", now: at });
        return id;
      };
      const states = async (tenantId: string, now = at) =>
        (await db.signingKeys.listPublished(tenantId, now, 24)).map((k) => `${k.state}:${k.kid.split("-")[0]}`).sort();

      it("creates one ring per tenant even when creators race", async () => {
        const tenantId = await newTenant();
        const results = await Promise.all(
          [1, 2, 3].map((i) => db.signingKeys.createRing(key(tenantId, `a${i}`), key(tenantId, `n${i}`), at)),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        expect(await db.signingKeys.listPublished(tenantId, at, 24)).toHaveLength(2);
      });

      it("rotates in one step, and only from the ring the caller saw", async () => {
        const tenantId = await newTenant();
        const active = key(tenantId, "one");
        const next = key(tenantId, "two");
        expect(await db.signingKeys.createRing(active, next, at)).toBe(true);
        const until = new Date(at.getTime() + 1_000);
        const rotation = { tenantId, activeId: active.id, nextId: next.id, now: at, retiredPublishUntil: until };
        expect(await db.signingKeys.rotate({ ...rotation, newNext: key(tenantId, "three") })).toBe(true);
        expect(await states(tenantId)).toEqual(["active:two", "next:three", "retired:one"]);
        const retired = (await db.signingKeys.listPublished(tenantId, at, 24)).find((k) => k.state === "retired");
        expect(retired?.publishUntil).toEqual(until);
        expect(retired?.retiredAt).toEqual(at);
        // The same rotation again: the ring changed, nothing happens.
        expect(await db.signingKeys.rotate({ ...rotation, newNext: key(tenantId, "four") })).toBe(false);
        expect(await states(tenantId)).toEqual(["active:two", "next:three", "retired:one"]);
        // The retired key leaves the published set at publish_until.
        expect(await states(tenantId, until)).toEqual(["active:two", "next:three"]);
      });

      it("lists only the newest retired keys up to the bound asked for, oldest first", async () => {
        const tenantId = await newTenant();
        let active = key(tenantId, "r0");
        let next = key(tenantId, "r1");
        await db.signingKeys.createRing(active, next, at);
        for (let i = 2; i < 8; i++) {
          const fresh = { ...key(tenantId, `r${i}`), createdAt: new Date(at.getTime() + i) };
          const now = new Date(at.getTime() + i);
          const until = new Date(at.getTime() + 60_000);
          const rotation = { tenantId, activeId: active.id, nextId: next.id, now, retiredPublishUntil: until };
          expect(await db.signingKeys.rotate({ ...rotation, newNext: fresh })).toBe(true);
          [active, next] = [next, fresh];
        }
        // r0..r5 retired (r5 last), r6 active, r7 next.
        expect(await states(tenantId)).toHaveLength(8);
        const bounded = await db.signingKeys.listPublished(tenantId, at, 2);
        expect(bounded.map((k) => `${k.state}:${k.kid.split("-")[0]}`)).toEqual([
          "retired:r4",
          "retired:r5",
          "active:r6",
          "next:r7",
        ]);
        expect(await db.signingKeys.listPublished(tenantId, at, 0)).toHaveLength(2);
      });

      it("lets exactly one of concurrent rotations of the same ring win", async () => {
        const tenantId = await newTenant();
        const active = key(tenantId, "a");
        const next = key(tenantId, "b");
        await db.signingKeys.createRing(active, next, at);
        const results = await Promise.all(
          [1, 2, 3].map((i) =>
            db.signingKeys.rotate({
              tenantId,
              activeId: active.id,
              nextId: next.id,
              now: at,
              retiredPublishUntil: new Date(at.getTime() + 1_000),
              newNext: key(tenantId, `c${i}`),
            }),
          ),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        const after = await states(tenantId);
        expect(after.filter((s) => !s.startsWith("retired"))).toHaveLength(2);
      });

      it("refuses to promote without retiring while an active key exists (the ring stays whole)", async () => {
        const tenantId = await newTenant();
        const active = key(tenantId, "kept");
        const next = key(tenantId, "waiting");
        await db.signingKeys.createRing(active, next, at);
        const rotation = { tenantId, activeId: null, nextId: next.id, now: at, retiredPublishUntil: at };
        expect(await db.signingKeys.rotate({ ...rotation, newNext: key(tenantId, "extra") })).toBe(false);
        expect(await states(tenantId)).toEqual(["active:kept", "next:waiting"]);
      });

      it("pages keys and reseals their private part", async () => {
        const tenantId = await newTenant();
        const active = key(tenantId, "p");
        await db.signingKeys.createRing(active, key(tenantId, "q"), at);
        await db.signingKeys.reseal(active.id, "resealed");
        const page = await db.signingKeys.page(null, 1_000);
        expect(page.find((k) => k.id === active.id)?.privateKeySealed).toBe("resealed");
      });
    });

    describe("audit events", () => {
      const event = (tenantId: string, ms: number, extra: Partial<AuditEventRecord> = {}): AuditEventRecord => ({
        id: uuid(),
        tenantId,
        at: new Date(at.getTime() + ms),
        action: "login.failed",
        actorType: "anonymous",
        actorId: null,
        targetType: null,
        targetId: null,
        ip: "2001:db8::1",
        requestId: "req-1",
        details: { method: "password", n: 1 },
        ...extra,
      });

      it("appends events and lists a tenant's newest first, filtered, after a cursor that breaks ties by id", async () => {
        const tenantId = uuid();
        await db.tenants.createIfAbsent({ id: tenantId, slug: slug("audit"), name: "A", now: at });
        const tied = [event(tenantId, 5), event(tenantId, 5)];
        const all = [
          event(tenantId, 1, { actorType: "user", actorId: "u1", targetType: "user", targetId: "u1" }),
          ...tied,
          event(tenantId, 9, { action: "api_key.created" }),
        ];
        await db.auditEvents.append(all);
        await db.auditEvents.append([]);
        const listed = await db.auditEvents.list(tenantId, {}, null, 10);
        expect(listed.map((e) => e.at.getTime() - at.getTime())).toEqual([9, 5, 5, 1]);
        expect(listed[3]).toEqual(all[0]);
        const [first, second] = await db.auditEvents.list(tenantId, {}, null, 2);
        const rest = await db.auditEvents.list(tenantId, {}, { at: second?.at ?? at, id: second?.id ?? "" }, 10);
        expect([first, second, ...rest].map((e) => e?.id)).toEqual(listed.map((e) => e.id));
        expect((await db.auditEvents.list(tenantId, { action: "api_key.created" }, null, 10)).map((e) => e.id)).toEqual(
          [all[3]?.id],
        );
        expect(await db.auditEvents.list(tenantId, { actorId: "u1", targetId: "u1" }, null, 10)).toHaveLength(1);
        expect(await db.auditEvents.list(uuid(), {}, null, 10)).toEqual([]);
      });

      it("purges events older than a cutoff, of every tenant", async () => {
        const tenantId = uuid();
        await db.tenants.createIfAbsent({ id: tenantId, slug: slug("purge"), name: "P", now: at });
        await db.auditEvents.append([event(tenantId, -10_000), event(tenantId, -5_000), event(tenantId, 10_000)]);
        expect(await db.auditEvents.purgeBefore(new Date(at.getTime() - 1_000))).toBeGreaterThanOrEqual(2);
        expect(await db.auditEvents.list(tenantId, {}, null, 10)).toHaveLength(1);
      });
    });
  });
}
