import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database, ListingPosition, NewSession, SessionRecord } from "../../src/core/ports/database.js";
import type { DatabaseHarness } from "./repositories.contract.js";
import { seedTenant, seedUser } from "./seed.js";

const at = new Date("2026-03-04T05:06:07.089Z");
const later = (ms: number) => new Date(at.getTime() + ms);
const DAY = 86_400_000;

/** The session ledger and tenant settings on every driver (PGlite, pg, neon-http). */
export function sessionRepositoryContract(name: string, open: () => Promise<DatabaseHarness>): void {
  describe(`Session repository contract: ${name}`, () => {
    let h: DatabaseHarness;
    let db: Database;
    let tenantId: string;
    let userId: string;

    beforeAll(async () => {
      h = await open();
      db = h.db;
      tenantId = await seedTenant(db, "s", at);
      userId = await newUser();
    });
    afterAll(async () => {
      await h.close();
    });

    const newUser = () => seedUser(db, tenantId, at);
    /** The ids of the user's live sessions at `now`, whole. */
    const listed = async (tenant: string, user: string, now: Date) =>
      (await db.sessions.listLive(tenant, user, now, null, 1_000)).map((row) => row.session.id);

    const session = (overrides: Partial<NewSession> = {}): NewSession => ({
      id: crypto.randomUUID(),
      tenantId,
      userId,
      authMethod: "password",
      amr: ["pwd"],
      clientId: "first-party",
      scope: "openid",
      userAgent: "ua ✓",
      ip: "2001:db8::1",
      authTime: at,
      lastUsedAt: at,
      expiresAt: later(30 * DAY),
      absoluteExpiresAt: later(90 * DAY),
      refreshHash: "h0",
      ...overrides,
    });

    it("stores a session, stamps the user's last login, and finds it within its tenant only", async () => {
      const { user, ...created } = await db.sessions.create(session({ authTime: later(5), lastUsedAt: later(5) }));
      expect(created).toMatchObject({ amr: ["pwd"], userAgent: "ua ✓", revokedAt: null, refreshGeneration: 0 });
      expect(await db.sessions.findById(tenantId, created.id)).toEqual(created);
      // The user as the insert found it: live, with its password hash.
      const row = await db.users.findById(tenantId, userId);
      expect(user).toEqual({ disabled: false, passwordHash: row?.passwordHash ?? null });
      expect(await db.sessions.findById(crypto.randomUUID(), created.id)).toBeNull();
      expect((await db.users.findById(tenantId, userId))?.lastLoginAt).toEqual(later(5));
    });

    it("says when the user was deleted or disabled by the time the session was inserted, and discards it", async () => {
      const gone = await newUser();
      await db.users.softDelete(tenantId, gone, later(1));
      const refused = await db.sessions.create(session({ userId: gone }));
      expect(refused.user).toBeNull();
      // An erased row is not written to.
      expect(await h.rows("SELECT last_login_at FROM users WHERE id = $1", [gone])).toEqual([{ last_login_at: null }]);
      await db.sessions.discard(tenantId, refused.id);
      expect(await db.sessions.findById(tenantId, refused.id)).toBeNull();
      const off = await newUser();
      await db.users.update(tenantId, off, { disabled: true }, later(2));
      expect((await db.sessions.create(session({ userId: off }))).user).toMatchObject({ disabled: true });
    });

    it("stores a session without client, user agent, address or refresh hash as nulls", async () => {
      const bare = session({ clientId: null, userAgent: null, ip: null, refreshHash: null, amr: [] });
      const { user: _, ...created } = await db.sessions.create(bare);
      expect(await db.sessions.findById(tenantId, created.id)).toEqual(created);
      expect(created).toMatchObject({ clientId: null, userAgent: null, ip: null, refreshHash: null, amr: [] });
    });

    it("records rotations forward only, never on a revoked session", async () => {
      const { id } = await db.sessions.create(session());
      const rotation = (generation: number, tenant = tenantId, session = id) => ({
        tenantId: tenant,
        id: session,
        generation,
        refreshHash: `h${generation}`,
        at: later(generation * 1_000),
        expiresAt: later(30 * DAY + generation * 1_000),
      });
      await db.sessions.recordRotations([rotation(2)]);
      await db.sessions.recordRotations([rotation(1)]); // a late write of an older rotation
      expect(await db.sessions.findById(tenantId, id)).toMatchObject({
        refreshGeneration: 2,
        refreshHash: "h2",
        lastUsedAt: later(2_000),
        expiresAt: later(30 * DAY + 2_000),
      });
      // A session the ledger does not hold (another tenant's id; one a restored backup lost) is ended.
      expect(await db.sessions.recordRotations([rotation(3, crypto.randomUUID())])).toEqual([id]);
      const unknown = crypto.randomUUID();
      expect(await db.sessions.recordRotations([rotation(3, tenantId, unknown)])).toEqual([unknown]);
      expect((await db.sessions.findById(tenantId, id))?.refreshGeneration).toBe(2);
      expect(await db.sessions.recordRotations([])).toEqual([]);
      expect(await db.sessions.revoke(tenantId, id, later(10), "logout")).toBe(true);
      // The ledger names the session it holds as ended: the refresh is refused whatever Redis says.
      expect(await db.sessions.recordRotations([rotation(4)])).toEqual([id]);
      expect((await db.sessions.findById(tenantId, id))?.refreshGeneration).toBe(2);
    });

    it("records several sessions' rotations in one call, each only forward", async () => {
      const [a, b, c, d] = await Promise.all([1, 2, 3, 4].map(() => db.sessions.create(session())));
      if (!d) throw new Error("four sessions");
      const rotation = (sessionId: string, generation: number) => ({
        tenantId,
        id: sessionId,
        generation,
        refreshHash: `${sessionId}:${generation}`,
        at: later(generation),
        expiresAt: later(30 * DAY + generation),
      });
      await db.sessions.recordRotations([rotation(c?.id as string, 5)]);
      await db.sessions.revoke(tenantId, d.id, later(1), "admin");
      const ended = await db.sessions.recordRotations([
        rotation(a?.id as string, 1),
        rotation(b?.id as string, 7),
        rotation(c?.id as string, 4), // behind the ledger: changes nothing, and is not ended
        rotation(d.id, 1),
      ]);
      expect(ended).toEqual([d.id]);
      expect(await db.sessions.findById(tenantId, a?.id as string)).toMatchObject({
        refreshGeneration: 1,
        refreshHash: `${a?.id}:1`,
        lastUsedAt: later(1),
        expiresAt: later(30 * DAY + 1),
      });
      expect((await db.sessions.findById(tenantId, b?.id as string))?.refreshHash).toBe(`${b?.id}:7`);
      expect((await db.sessions.findById(tenantId, c?.id as string))?.refreshHash).toBe(`${c?.id}:5`);
    });

    it("revokes once, keeping the first reason and time", async () => {
      const { id } = await db.sessions.create(session());
      expect(await db.sessions.revoke(crypto.randomUUID(), id, later(1), "logout")).toBe(false);
      expect(await db.sessions.revoke(tenantId, id, later(1), "logout")).toBe(true);
      expect(await db.sessions.revoke(tenantId, id, later(2), "admin")).toBe(false);
      expect(await db.sessions.findById(tenantId, id)).toMatchObject({ revokedAt: later(1), revokedReason: "logout" });
    });

    it("lists a user's live sessions and their ids, and revokes those still live of a list", async () => {
      const user = await newUser();
      const old = await db.sessions.create(session({ userId: user, lastUsedAt: later(1) }));
      const recent = await db.sessions.create(session({ userId: user, lastUsedAt: later(2) }));
      const expired = await db.sessions.create(session({ userId: user, expiresAt: later(10) }));
      const revoked = await db.sessions.create(session({ userId: user }));
      await db.sessions.revoke(tenantId, revoked.id, later(1), "logout");
      const now = later(1_000);
      expect(await listed(tenantId, user, now)).toEqual([recent.id, old.id]);
      expect(await listed(crypto.randomUUID(), user, now)).toEqual([]);
      const live = await db.sessions.liveIdsOfUser(tenantId, user, undefined, 100);
      expect(live.sort()).toEqual([old.id, recent.id, expired.id].sort());
      expect(await db.sessions.liveIdsOfUser(crypto.randomUUID(), user, undefined, 100)).toEqual([]);
      const ids = await db.sessions.revokeMany(tenantId, [...live, revoked.id], later(3), "admin");
      expect(ids.sort()).toEqual(live.sort());
      expect(await listed(tenantId, user, now)).toEqual([]);
      expect(await db.sessions.liveIdsOfUser(tenantId, user, undefined, 100)).toEqual([]);
      expect(await db.sessions.revokeMany(tenantId, live, later(4), "admin")).toEqual([]);
      expect(await db.sessions.revokeMany(tenantId, [], later(4), "admin")).toEqual([]);
      expect(await db.sessions.findById(tenantId, revoked.id)).toMatchObject({ revokedReason: "logout" });
    });

    it("lists a user's live sessions a page at a time, most recently used first, sessions of one instant by id", async () => {
      const user = await newUser();
      const used = (ms: number) => db.sessions.create(session({ userId: user, lastUsedAt: later(ms) }));
      const oldest = await used(1);
      const same = await Promise.all([0, 1, 2].map(() => used(2)));
      const newest = await used(3);
      // A last use with microseconds (a write from SQL's now()) still pages exactly.
      await h.rows("UPDATE sessions SET last_used_at = last_used_at + interval '5 microseconds' WHERE id = $1", [
        newest.id,
      ]);
      const expected = [
        newest.id,
        ...same
          .map((x) => x.id)
          .sort()
          .reverse(),
        oldest.id,
      ];
      expect(await listed(tenantId, user, later(10))).toEqual(expected);
      const seen: string[] = [];
      let after: ListingPosition | null = null;
      for (;;) {
        const page: { session: SessionRecord; position: ListingPosition }[] = await db.sessions.listLive(
          tenantId,
          user,
          later(10),
          after,
          2,
        );
        seen.push(...page.map((row) => row.session.id));
        if (page.length < 2) break;
        after = page.at(-1)?.position ?? null;
      }
      expect(seen).toEqual(expected);
      const [first] = await db.sessions.listLive(tenantId, user, later(10), null, 1);
      expect(first?.position).toEqual({ at: "2026-03-04T05:06:07.092005Z", id: newest.id });
      // A session used after a page was read moves to the front: later pages do not show it again.
      const [, second] = await db.sessions.listLive(tenantId, user, later(10), null, 2);
      await db.sessions.recordRotations([
        { tenantId, id: oldest.id, generation: 1, refreshHash: "h1", at: later(5), expiresAt: later(30 * DAY) },
      ]);
      const rest = await db.sessions.listLive(tenantId, user, later(10), second?.position ?? null, 10);
      expect(rest.map((row) => row.session.id)).toEqual(expected.slice(2, 4));
    });

    it("names at most `limit` live sessions at a time, of a user or of a client", async () => {
      const user = await newUser();
      for (let i = 0; i < 5; i++) await db.sessions.create(session({ userId: user, clientId: "paged" }));
      const first = await db.sessions.liveIdsOfUser(tenantId, user, undefined, 3);
      expect(first).toHaveLength(3);
      expect(await db.sessions.liveIdsOfClient(tenantId, "paged", undefined, 2)).toHaveLength(2);
      await db.sessions.revokeMany(tenantId, first, later(1), "admin");
      const rest = await db.sessions.liveIdsOfUser(tenantId, user, undefined, 3);
      expect(rest).toHaveLength(2);
      expect(rest.filter((id) => first.includes(id))).toEqual([]);
    });

    it("names the live sessions of a whole tenant, every user's and client's, a page at a time", async () => {
      const tenant = await seedTenant(db, "s-all", at);
      const [ann, bob] = [await seedUser(db, tenant, at), await seedUser(db, tenant, at)];
      const created = [
        await db.sessions.create(session({ tenantId: tenant, userId: ann })),
        await db.sessions.create(session({ tenantId: tenant, userId: ann, clientId: "app" })),
        await db.sessions.create(session({ tenantId: tenant, userId: bob })),
        // Expired, but not revoked: named too (its access tokens may still be within their lifetime).
        await db.sessions.create(
          session({ tenantId: tenant, userId: bob, expiresAt: later(-DAY), absoluteExpiresAt: later(-DAY) }),
        ),
      ];
      const revoked = await db.sessions.create(session({ tenantId: tenant, userId: bob }));
      await db.sessions.revoke(tenant, revoked.id, later(1), "logout");
      // Another tenant's sessions are not named.
      const elsewhere = await db.sessions.create(session());
      const first = await db.sessions.liveIdsOfTenant(tenant, 3);
      expect(first).toHaveLength(3);
      expect(await db.sessions.revokeMany(tenant, first, later(2), "admin")).toHaveLength(3);
      const rest = await db.sessions.liveIdsOfTenant(tenant, 3);
      expect([...first, ...rest].sort()).toEqual(created.map((s) => s.id).sort());
      await db.sessions.revokeMany(tenant, rest, later(2), "admin");
      expect(await db.sessions.liveIdsOfTenant(tenant, 3)).toEqual([]);
      expect(await db.sessions.liveIdsOfTenant(crypto.randomUUID(), 3)).toEqual([]);
      expect(await db.sessions.liveIdsOfTenant(tenantId, 1_000)).toContain(elsewhere.id);
    });

    it("names every live session of a user but the one named", async () => {
      const user = await newUser();
      const kept = await db.sessions.create(session({ userId: user }));
      const others = [
        await db.sessions.create(session({ userId: user })),
        await db.sessions.create(session({ userId: user })),
      ];
      const live = await db.sessions.liveIdsOfUser(tenantId, user, kept.id, 100);
      expect(live.sort()).toEqual(others.map((s) => s.id).sort());
      await db.sessions.revokeMany(tenantId, live, later(3), "password_changed");
      expect(await listed(tenantId, user, later(4))).toEqual([kept.id]);
    });

    it("revokes the live sessions of an OAuth client, all or one user's, and no other client's", async () => {
      const [ann, bob] = [await newUser(), await newUser()];
      const annOfApp = await db.sessions.create(session({ userId: ann, clientId: "app" }));
      const bobOfApp = await db.sessions.create(session({ userId: bob, clientId: "app" }));
      const annElsewhere = await db.sessions.create(session({ userId: ann, clientId: "other" }));
      const ofAnn = await db.sessions.liveIdsOfClient(tenantId, "app", ann, 100);
      expect(ofAnn).toEqual([annOfApp.id]);
      expect(await db.sessions.revokeMany(tenantId, ofAnn, later(1), "consent_revoked")).toEqual([annOfApp.id]);
      expect(await db.sessions.liveIdsOfClient(crypto.randomUUID(), "app", undefined, 100)).toEqual([]);
      // Another tenant's id list revokes nothing here.
      expect(await db.sessions.revokeMany(crypto.randomUUID(), [bobOfApp.id], later(2), "client_deleted")).toEqual([]);
      const ofApp = await db.sessions.liveIdsOfClient(tenantId, "app", undefined, 100);
      expect(ofApp).toEqual([bobOfApp.id]);
      expect(await db.sessions.revokeMany(tenantId, ofApp, later(2), "client_deleted")).toEqual([bobOfApp.id]);
      expect(await db.sessions.findById(tenantId, bobOfApp.id)).toMatchObject({
        revokedAt: later(2),
        revokedReason: "client_deleted",
      });
      expect((await db.sessions.findById(tenantId, annElsewhere.id))?.revokedAt).toBeNull();
    });

    it("purges sessions that ended before the cutoff, a bounded batch at a time, and nothing else", async () => {
      const daysAgo = (days: number) => later(-days * DAY);
      const cutoff = daysAgo(10);
      const expired = await db.sessions.create(session({ expiresAt: daysAgo(20), absoluteExpiresAt: daysAgo(15) }));
      const expiredLater = await db.sessions.create(session({ expiresAt: daysAgo(5), absoluteExpiresAt: daysAgo(4) }));
      const revokedOld = await db.sessions.create(session());
      await db.sessions.revoke(tenantId, revokedOld.id, daysAgo(12), "logout");
      const revokedRecently = await db.sessions.create(session());
      await db.sessions.revoke(tenantId, revokedRecently.id, daysAgo(2), "logout");
      const live = await db.sessions.create(session());

      expect(await db.sessions.purgeEndedBefore(cutoff, 1)).toBe(1);
      expect(await db.sessions.purgeEndedBefore(cutoff, 100)).toBe(1);
      expect(await db.sessions.purgeEndedBefore(cutoff, 100)).toBe(0);
      expect(await db.sessions.findById(tenantId, expired.id)).toBeNull();
      expect(await db.sessions.findById(tenantId, revokedOld.id)).toBeNull();
      for (const kept of [expiredLater, revokedRecently, live]) {
        expect(await db.sessions.findById(tenantId, kept.id)).not.toBeNull();
      }
    });

    it("merges tenant settings without losing the others, and not for a deleted tenant", async () => {
      const id = crypto.randomUUID();
      const slug = `m-${id.slice(0, 8)}`;
      await db.tenants.createIfAbsent({ id, slug, name: "M", settings: { signing_alg: "ES256" }, now: at });
      const updated = await db.tenants.mergeSettings(id, { redirect_uris: ["https://a.example/cb"] }, later(1));
      expect(updated).toMatchObject({
        settings: { signing_alg: "ES256", redirect_uris: ["https://a.example/cb"] },
        updatedAt: later(1),
      });
      expect((await db.tenants.findBySlug(slug))?.settings).toEqual(updated?.settings);
      await db.tenants.softDelete(id, later(2));
      expect(await db.tenants.mergeSettings(id, { audience: "x" }, later(3))).toBeNull();
    });
  });
}
