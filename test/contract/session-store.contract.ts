import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UserVersions } from "../../src/core/accounts/user-versions.js";
import type { Database, UserRecord } from "../../src/core/ports/database.js";
import {
  LEGACY_EPOCH_KEY,
  legacyRevokedJtiKey,
  type SessionState,
  sessionKeys,
} from "../../src/core/sessions/session-state.js";
import { SessionStore } from "../../src/core/sessions/session-store.js";
import type { KeyValueHarness } from "./key-value.contract.js";

const T0 = Date.UTC(2026, 10, 1, 12);
const DAY = 86_400_000;
const GRACE = 10_000;

/**
 * The session scripts (rotation, revocation, blocklist) on one Redis port
 * adapter: the Lua (ioredis, Upstash) and the memory twin must agree on
 * every outcome. Time is passed in, so the cases are exact.
 */
export function sessionStoreContract(name: string, open: () => Promise<KeyValueHarness>): void {
  describe(`session scripts: ${name}`, () => {
    let h: KeyValueHarness;
    let store: SessionStore;

    beforeAll(async () => {
      h = await open();
      store = new SessionStore(h.store);
    });
    afterAll(async () => {
      await h.close();
    });

    const state = (overrides: Partial<SessionState> = {}): SessionState => ({
      generation: 0,
      hash: "hash-0",
      idleExpiresAt: T0 + 30 * DAY,
      absoluteExpiresAt: T0 + 90 * DAY,
      claims: {
        userId: "user-1",
        authTime: T0 / 1000,
        amr: ["pwd"],
        scope: "openid profile ✓",
        clientId: "first-party",
      },
      ...overrides,
    });
    const rotate = (
      sid: string,
      generation: number,
      hash: string,
      now: number,
      seed: SessionState | null = null,
      clientId = "first-party",
    ) =>
      store.rotate(sid, {
        generation,
        hash,
        successorHash: `hash-${generation + 1}`,
        sealedSuccessor: `sealed-${generation + 1}`,
        now,
        graceMs: GRACE,
        idleTtlMs: 30 * DAY,
        revokedTtlMs: 660_000,
        seed,
        clientId,
      });
    const newSession = async () => {
      const sid = crypto.randomUUID();
      await store.seed(sid, state(), T0);
      return sid;
    };

    it("rotates the current token, slides the idle expiry and keeps the claims", async () => {
      const sid = await newSession();
      const outcome = await rotate(sid, 0, "hash-0", T0 + DAY);
      expect(outcome).toEqual({
        kind: "rotated",
        generation: 1,
        idleExpiresAt: T0 + 31 * DAY,
        absoluteExpiresAt: T0 + 90 * DAY,
        claims: state().claims,
      });
      const [stateKey = "", graceKey = ""] = sessionKeys(sid);
      expect(await h.store.ttl(graceKey)).toBeGreaterThan(GRACE - 2_000);
      expect(await h.store.ttl(graceKey)).toBeLessThanOrEqual(GRACE);
      expect(await h.store.ttl(stateKey)).toBeGreaterThan(30 * DAY - 5_000);
    });

    it("answers the token spent just before with the sealed successor, inside the grace window only", async () => {
      const sid = await newSession();
      await rotate(sid, 0, "hash-0", T0);
      expect(await rotate(sid, 0, "hash-0", T0 + GRACE)).toMatchObject({
        kind: "grace",
        sealedSuccessor: "sealed-1",
        generation: 1,
      });
      expect(await rotate(sid, 0, "hash-0", T0 + GRACE + 1)).toMatchObject({ kind: "reuse", claims: state().claims });
      // Reuse revoked the session: even the current token is refused now.
      expect(await rotate(sid, 1, "hash-1", T0 + GRACE + 2)).toEqual({ kind: "revoked" });
      expect((await store.blocklisted(sid, "any-jti")).revoked).toBe(true);
    });

    it("treats an older generation, or the current one with another hash, as reuse", async () => {
      const older = await newSession();
      await rotate(older, 0, "hash-0", T0);
      await rotate(older, 1, "hash-1", T0 + 1);
      expect((await rotate(older, 0, "hash-0", T0 + 2)).kind).toBe("reuse");
      const forked = await newSession();
      expect((await rotate(forked, 0, "not-the-hash", T0)).kind).toBe("reuse");
    });

    it("leaves another client's token unspent, current or spent, with or without a seed (RFC 6749 §10.4)", async () => {
      const sid = await newSession();
      const foreign = (generation: number, hash: string, now: number, seed: SessionState | null = null) =>
        rotate(sid, generation, hash, now, seed, "first-party-x");
      expect(await foreign(0, "hash-0", T0)).toEqual({ kind: "foreign" });
      expect(await rotate(sid, 0, "hash-0", T0 + 1)).toMatchObject({ kind: "rotated", generation: 1 });
      // Neither the grace answer nor reuse detection for a caller of another client.
      expect(await foreign(0, "hash-0", T0 + 2)).toEqual({ kind: "foreign" });
      expect(await foreign(0, "hash-0", T0 + GRACE + 10)).toEqual({ kind: "foreign" });
      expect(await rotate(sid, 1, "hash-1", T0 + GRACE + 11)).toMatchObject({ kind: "rotated", generation: 2 });
      const lost = crypto.randomUUID();
      expect(await rotate(lost, 0, "hash-0", T0, state(), "first")).toEqual({ kind: "foreign" });
      expect(await rotate(lost, 0, "hash-0", T0, state())).toMatchObject({ kind: "rotated", generation: 1 });
    });

    it("starts a spent token's grace window again, for that token only", async () => {
      const sid = await newSession();
      await rotate(sid, 0, "hash-0", T0);
      await store.rearmGrace(sid, "not-the-hash", T0 + GRACE, GRACE);
      await store.rearmGrace(sid, "hash-0", T0 + GRACE - 1, GRACE);
      expect(await rotate(sid, 0, "hash-0", T0 + 2 * GRACE - 1)).toMatchObject({
        kind: "grace",
        sealedSuccessor: "sealed-1",
      });
      expect((await rotate(sid, 0, "hash-0", T0 + 2 * GRACE)).kind).toBe("reuse");
      // Nothing to start again once the entry is gone.
      await store.rearmGrace(sid, "hash-0", T0 + 2 * GRACE, GRACE);
      expect(await rotate(sid, 1, "hash-1", T0 + 2 * GRACE)).toEqual({ kind: "revoked" });
    });

    it("cap the idle expiry at the absolute one and report expiry", async () => {
      const sid = crypto.randomUUID();
      await store.seed(sid, state({ absoluteExpiresAt: T0 + DAY }), T0);
      expect(await rotate(sid, 0, "hash-0", T0 + 1_000)).toMatchObject({ kind: "rotated", idleExpiresAt: T0 + DAY });
      expect(await rotate(sid, 1, "hash-1", T0 + DAY)).toEqual({ kind: "expired" });
      expect(await rotate(sid, 1, "hash-1", T0 + DAY)).toEqual({ kind: "missing" });
      const idle = crypto.randomUUID();
      await store.seed(idle, state({ idleExpiresAt: T0 + 1_000 }), T0);
      expect(await rotate(idle, 0, "hash-0", T0 + 1_000)).toEqual({ kind: "expired" });
    });

    it("re-seeds a lost session from the ledger: same or newer generation rotates, older is reuse", async () => {
      expect(await rotate(crypto.randomUUID(), 0, "hash-0", T0)).toEqual({ kind: "missing" });
      const same = crypto.randomUUID();
      expect(await rotate(same, 0, "hash-0", T0, state())).toMatchObject({ kind: "rotated", generation: 1 });
      // Seeded once: a second seed is ignored, the state in Redis rules.
      expect((await rotate(same, 0, "hash-0", T0 + 1, state())).kind).toBe("grace");
      const newer = crypto.randomUUID();
      expect(await rotate(newer, 3, "hash-3", T0, state({ generation: 2, hash: "hash-2" }))).toMatchObject({
        kind: "rotated",
        generation: 4,
      });
      const older = crypto.randomUUID();
      expect((await rotate(older, 1, "hash-1", T0, state({ generation: 2, hash: "hash-2" }))).kind).toBe("reuse");
    });

    it("never lets a login seed overwrite a newer state", async () => {
      const sid = await newSession();
      await rotate(sid, 0, "hash-0", T0);
      await store.seed(sid, state(), T0);
      expect((await rotate(sid, 1, "hash-1", T0 + GRACE + 1)).kind).toBe("rotated");
    });

    it("revokes a session and blocklists its access tokens and single jtis", async () => {
      const sid = await newSession();
      expect(await store.blocklisted(sid, "jti-1")).toMatchObject({ revoked: false });
      await store.revoke(sid, 60_000, "logout");
      expect(await rotate(sid, 0, "hash-0", T0)).toEqual({ kind: "revoked" });
      expect((await store.blocklisted(sid, "jti-1")).revoked).toBe(true);
      const other = await newSession();
      await store.blockJti(other, "jti-2", 60_000);
      expect((await store.blocklisted(other, "jti-2")).revoked).toBe(true);
      expect((await store.blocklisted(other, "jti-3")).revoked).toBe(false);
      // A jti is its session's: the same jti under another session is not revoked.
      expect((await store.blocklisted(await newSession(), "jti-2")).revoked).toBe(false);
    });

    it("expires blocklist entries after their ttl", async () => {
      const sid = await newSession();
      await store.revoke(sid, 300, "logout");
      await h.elapse(400);
      expect((await store.blocklisted(sid, "jti")).revoked).toBe(false);
    });

    it("replaces a state's claims at its generation only, keeping its expiry", async () => {
      const sid = await newSession();
      const [stateKey = ""] = sessionKeys(sid);
      const ttl = (await h.store.ttl(stateKey)) ?? 0;
      const claims = { ...state().claims, scope: "openid reports", userVersion: 42 };
      await store.replaceClaims(sid, 1, claims);
      expect((await store.read(sid)) as SessionState).toEqual(state());
      await store.replaceClaims(sid, 0, claims);
      expect((await store.read(sid)) as SessionState).toEqual(state({ claims }));
      expect(await h.store.ttl(stateKey)).toBeLessThanOrEqual(ttl);
      expect(await h.store.ttl(stateKey)).toBeGreaterThan(ttl - 5_000);
      expect(await rotate(sid, 0, "hash-0", T0 + DAY)).toMatchObject({ kind: "rotated", claims });
      // A state that ended stays ended.
      const gone = crypto.randomUUID();
      await store.replaceClaims(gone, 0, claims);
      expect(await store.read(gone)).toBeNull();
    });

    it("raises a user's version, never lowers it, and fills a missing one from the database", async () => {
      const row = (ms: number) => ({ id: "u", updatedAt: new Date(ms) }) as UserRecord;
      let reads = 0;
      const db = {
        users: {
          findById: async () => {
            reads++;
            return row(T0 + 5);
          },
        },
      } as unknown as Database;
      const versions = new UserVersions({ db, kv: h.store });
      const tenant = crypto.randomUUID();
      expect(await versions.current(tenant, "u")).toEqual({ version: T0 + 5, user: row(T0 + 5) });
      expect(reads).toBe(1);
      expect(await versions.raise(tenant, "u", row(T0 + 9))).toBe(T0 + 9);
      // An older read (a filler that lost a race with a writer) leaves the newer version.
      expect(await versions.raise(tenant, "u", row(T0 + 7))).toBe(T0 + 9);
      expect(await versions.current(tenant, "u")).toEqual({ version: T0 + 9 });
      expect(await versions.raise(tenant, "u", null)).toBe(Number.MAX_SAFE_INTEGER);
      expect(await versions.raise(tenant, "u", row(T0 + 10))).toBe(Number.MAX_SAFE_INTEGER);
      expect(reads).toBe(1);
    });

    it("vouches for a session while Redis holds its state or the ledger's word, and restores a revocation", async () => {
      const sid = await newSession();
      expect(await store.blocklisted(sid, "jti")).toEqual({ revoked: false, vouched: true });
      const unknown = crypto.randomUUID();
      expect(await store.blocklisted(unknown, "jti")).toEqual({ revoked: false, vouched: false });
      await store.markLedgerLive(unknown, 300);
      expect(await store.blocklisted(unknown, "jti")).toEqual({ revoked: false, vouched: true });
      await h.elapse(400);
      expect((await store.blocklisted(unknown, "jti")).vouched).toBe(false);
      await store.markRevoked(unknown, 60_000);
      expect((await store.blocklisted(unknown, "jti")).revoked).toBe(true);
      expect(await rotate(unknown, 0, "hash-0", T0, state())).toEqual({ kind: "revoked" });
    });

    it("reads and writes the previous version's jti names, and ages its marker once", async () => {
      const sid = await newSession();
      await store.blockJti(sid, "jti-old", 60_000, true);
      expect(await h.store.get(legacyRevokedJtiKey("jti-old"))).toBe("1");
      expect(await store.legacyJtiBlocked("jti-old")).toBe(true);
      expect(await store.legacyJtiBlocked("jti-other")).toBe(false);
      expect(await store.ageLegacyMarker(60_000)).toBeNull();
      await h.store.set(LEGACY_EPOCH_KEY, String(T0));
      const left = (await store.ageLegacyMarker(60_000)) ?? 0;
      expect(left).toBeGreaterThan(55_000);
      expect(left).toBeLessThanOrEqual(60_000);
      // A lifetime it already has is kept, never extended.
      expect(await store.ageLegacyMarker(600_000)).toBeLessThanOrEqual(60_000);
      await h.store.del(LEGACY_EPOCH_KEY);
    });
  });
}
