/**
 * The blocklist's decisions when Redis holds nothing for a session (the
 * ledger decides, once) and across an upgrade from the version whose jti
 * marks lived outside their session's slot, on the in-memory store (which
 * refuses cross-slot scripts as Redis Cluster does) and a ledger that counts
 * its questions.
 */
import { describe, expect, it } from "vitest";
import { MemoryKeyValueStore } from "../../src/adapters/redis/memory.js";
import type { Database, RevokedAccessToken, SessionRecord } from "../../src/core/ports/database.js";
import { AccessTokenBlocklist } from "../../src/core/sessions/blocklist.js";
import {
  LEGACY_EPOCH_KEY,
  ledgerLiveKey,
  legacyRevokedJtiKey,
  revokedJtiKey,
  sessionKeys,
} from "../../src/core/sessions/session-state.js";
import { pinnedClock } from "../support/key-ring.js";

const TENANT = "tenant-1";

function setup(
  ledger: Record<string, Partial<SessionRecord>> = {},
  liveClients: Record<string, "public" | "confidential"> = {},
) {
  const clock = pinnedClock();
  const kv = new MemoryKeyValueStore(clock);
  const questions: string[] = [];
  const warnings: string[] = [];
  const revokedTokens: RevokedAccessToken[] = [];
  const db = {
    revokedAccessTokens: {
      record: async (token: RevokedAccessToken) => {
        revokedTokens.push(token);
      },
      listLive: async (tenantId: string, sessionId: string, now: Date) =>
        revokedTokens.filter((t) => t.tenantId === tenantId && t.sessionId === sessionId && t.expiresAt > now),
    },
    clients: {
      find: async (tenantId: string, clientId: string) => {
        questions.push(`client:${clientId}`);
        const type = liveClients[clientId];
        return type && tenantId === TENANT ? { clientId, type } : null;
      },
    },
    sessions: {
      findById: async (tenantId: string, id: string) => {
        questions.push(id);
        await new Promise((resolve) => setTimeout(resolve, 5));
        const row = ledger[id];
        return row && tenantId === TENANT ? ({ id, revokedAt: null, ...row } as SessionRecord) : null;
      },
    },
  } as unknown as Database;
  const logger = { info() {}, warn: (event: string) => warnings.push(event), error() {} };
  const blocklist = new AccessTokenBlocklist({ db, kv, clock, logger });
  const claims = (sid: string, jti: string = crypto.randomUUID()) => ({
    sid,
    jti,
    tid: TENANT,
    sub: "user-1",
    client_id: "first-party",
    exp: Math.floor(clock.now().getTime() / 1000) + 600,
  });
  return { clock, kv, blocklist, claims, questions, warnings, revokedTokens };
}

describe("AccessTokenBlocklist, when Redis holds nothing for the session", () => {
  it("asks the ledger once for a live session, even when raced, and then trusts its word", async () => {
    const t = setup({ live: {} });
    const token = t.claims("live");
    const answers = await Promise.all(Array.from({ length: 10 }, () => t.blocklist.isRevoked(token)));
    expect(answers).toEqual(Array(10).fill(false));
    expect(t.questions).toEqual(["live"]);
    expect(await t.blocklist.isRevoked(t.claims("live"))).toBe(false);
    expect(t.questions).toHaveLength(1);
    // The word lasts as long as the token that asked: about 11 minutes (600 s + skew).
    expect(await t.kv.ttl(ledgerLiveKey("live"))).toBeGreaterThan(600_000);
    expect(t.warnings).toEqual([]);
  });

  it("blocklists again a session the ledger says is revoked, and one the ledger does not know", async () => {
    const revokedAt = new Date(pinnedClock().now().getTime() - 60_000);
    const t = setup({ gone: { revokedAt } });
    expect(await t.blocklist.isRevoked(t.claims("gone"))).toBe(true);
    expect(await t.kv.get(sessionKeys("gone")[2] ?? "")).toBe("restored");
    expect(await t.blocklist.isRevoked(t.claims("gone"))).toBe(true);
    expect(t.questions).toEqual(["gone"]);
    expect(await t.blocklist.isRevoked(t.claims("never-issued"))).toBe(true);
    expect(t.warnings).toEqual(["blocklist_refilled", "blocklist_refilled"]);
  });

  it("asks the clients' ledger about a client's own token (client credentials have no session row)", async () => {
    const t = setup({}, { svc: "confidential", "made-public": "public" });
    const own = { ...t.claims("client-sid"), sub: "svc", client_id: "svc" };
    expect(await t.blocklist.isRevoked(own)).toBe(false);
    expect(await t.blocklist.isRevoked(own)).toBe(false);
    expect(t.questions).toEqual(["client:svc"]);
    await t.blocklist.blockToken(own);
    expect(await t.blocklist.isRevoked(own)).toBe(true);
    // A deleted client's token (Redis lost the revocation): the ledger refuses it.
    const orphan = { ...t.claims("gone-client-sid"), sub: "gone", client_id: "gone" };
    expect(await t.blocklist.isRevoked(orphan)).toBe(true);
    // A client made public since (Redis lost the revocation): the secret its token was issued on is gone.
    const unbound = { ...t.claims("public-client-sid"), sub: "made-public", client_id: "made-public" };
    expect(await t.blocklist.isRevoked(unbound)).toBe(true);
    expect(t.questions).toEqual(["client:svc", "client:gone", "client:made-public"]);
  });
});

describe("AccessTokenBlocklist, single revoked tokens", () => {
  it("keeps a revoked token refused after Redis lost its mark, and only that token of its session", async () => {
    const t = setup({ live: {} });
    const revoked = t.claims("live", "jti-revoked");
    const kept = t.claims("live", "jti-kept");
    await t.blocklist.blockToken(revoked);
    expect(t.revokedTokens).toEqual([
      { tenantId: TENANT, sessionId: "live", jti: "jti-revoked", expiresAt: new Date((revoked.exp + 60) * 1000) },
    ]);
    expect(await t.blocklist.isRevoked(revoked)).toBe(true);
    // Redis loses the mark and everything of the session.
    const [state = "", , revokedSession = ""] = sessionKeys("live");
    await t.kv.del(revokedJtiKey("live", "jti-revoked"), revokedSession, state, ledgerLiveKey("live"));
    const answers = await Promise.all([revoked, kept, revoked, kept].map((claims) => t.blocklist.isRevoked(claims)));
    expect(answers).toEqual([true, false, true, false]);
    expect(t.questions).toEqual(["live"]);
    // The mark is back in Redis, which answers alone again.
    expect(await t.kv.get(revokedJtiKey("live", "jti-revoked"))).toBe("1");
    expect(await t.blocklist.isRevoked(revoked)).toBe(true);
    expect(t.questions).toEqual(["live"]);
  });

  it("does not bring back a mark that has expired", async () => {
    const t = setup({ live: {} });
    const revoked = t.claims("live", "jti-short");
    await t.blocklist.blockToken({ ...revoked, exp: revoked.exp - 600 });
    await t.kv.del(revokedJtiKey("live", "jti-short"));
    t.clock.advance(61_000);
    expect(await t.blocklist.isRevoked(t.claims("live"))).toBe(false);
    expect(await t.kv.get(revokedJtiKey("live", "jti-short"))).toBeNull();
  });
});

describe("AccessTokenBlocklist across an upgrade from the previous key names", () => {
  it("reads and writes the old jti names while the old marker lives, then stops", async () => {
    const t = setup({ live: {} });
    await t.kv.set(LEGACY_EPOCH_KEY, "1");
    // Revoked by a process of the previous version, under the old name.
    const old = t.claims("live", "jti-old");
    await t.kv.set(legacyRevokedJtiKey("jti-old"), "1", { ttlMs: 600_000 });
    expect(await t.blocklist.isRevoked(old)).toBe(true);
    // Revoked here: processes of the previous version read the old name.
    const fresh = t.claims("live", "jti-new");
    await t.blocklist.blockToken(fresh);
    expect(await t.kv.get(legacyRevokedJtiKey("jti-new"))).toBe("1");
    expect(await t.blocklist.isRevoked(fresh)).toBe(true);
    // The old marker got a lifetime: twice the longest an access token lives, plus skew.
    const left = (await t.kv.ttl(LEGACY_EPOCH_KEY)) ?? 0;
    expect(left).toBeGreaterThan(2 * 86_400_000);
    t.clock.advance(left + 1);
    await t.kv.set(legacyRevokedJtiKey("jti-late"), "1");
    expect(await t.blocklist.isRevoked(t.claims("live", "jti-late"))).toBe(false);
  });

  it("neither reads nor writes an old name on a Redis the previous version never used", async () => {
    const t = setup({ live: {} });
    await t.kv.set(legacyRevokedJtiKey("jti-1"), "1");
    expect(await t.blocklist.isRevoked(t.claims("live", "jti-1"))).toBe(false);
    await t.blocklist.blockToken(t.claims("live", "jti-2"));
    expect(await t.kv.get(legacyRevokedJtiKey("jti-2"))).toBeNull();
  });
});
