import type { Clock } from "../ports/clock.js";
import type { Database } from "../ports/database.js";
import type { KeyValueStore } from "../ports/key-value.js";
import type { Logger } from "../ports/logger.js";
import { type AccessTokenClaims, CLOCK_SKEW_SECONDS, isClientToken } from "../tokens/access-token.js";
import { restoreMarks } from "./revoked-token-marks.js";
import { REVOKED_TTL_MS } from "./session-revocation.js";
import { SessionStore } from "./session-store.js";

type CheckedClaims = Pick<AccessTokenClaims, "sid" | "jti" | "tid" | "exp" | "sub" | "client_id">;

/**
 * How long the previous version's names stay in use once a process found
 * its marker: longer than any access token it blocklisted can live, with a
 * rolling upgrade's worth to spare.
 */
const LEGACY_WINDOW_MS = 2 * REVOKED_TTL_MS;

/**
 * The access-token blocklist every bearer-protected route consults: revoked
 * sessions and single revoked `jti`s, in Redis, each in its session's hash
 * slot (nothing all requests share). When Redis holds nothing for a session
 * (its state expired, or Redis lost its data) the ledger decides, and its
 * answer is written back: a revoked session or token stays revoked after a
 * Redis loss.
 */
export class AccessTokenBlocklist {
  private readonly store: SessionStore;
  /** Ledger questions in flight, per session: concurrent requests of one session ask once. */
  private readonly asking = new Map<string, Promise<"session_revoked" | Set<string>>>();
  /** Until when (ms) the previous version's jti names are read and written too; undefined until known. */
  private legacyUntil: number | undefined;
  private legacyLookup: Promise<number> | undefined;

  constructor(private readonly deps: { db: Database; kv: KeyValueStore; clock: Clock; logger: Logger }) {
    this.store = new SessionStore(deps.kv);
  }

  private now(): number {
    return this.deps.clock.now().getTime();
  }

  async isRevoked(claims: CheckedClaims): Promise<boolean> {
    const [found, legacy] = await Promise.all([
      this.store.blocklisted(claims.sid, claims.jti),
      this.legacyActive().then((active) => active && this.store.legacyJtiBlocked(claims.jti)),
    ]);
    if (found.revoked || legacy) return true;
    if (found.vouched) return false;
    let asked = this.asking.get(claims.sid);
    if (!asked) {
      asked = this.askLedger(claims).finally(() => this.asking.delete(claims.sid));
      this.asking.set(claims.sid, asked);
    }
    const answer = await asked;
    return answer === "session_revoked" || answer.has(claims.jti);
  }

  /**
   * Blocklists one access token until it expires (plus skew) (RFC 7009
   * revocation): in the ledger first, so a Redis loss does not bring it back.
   */
  async blockToken(claims: Pick<AccessTokenClaims, "tid" | "sid" | "jti" | "exp">): Promise<void> {
    const until = (claims.exp + CLOCK_SKEW_SECONDS) * 1000;
    const token = { tenantId: claims.tid, sessionId: claims.sid, jti: claims.jti, expiresAt: new Date(until) };
    await this.deps.db.revokedAccessTokens.record(token);
    await this.store.blockJti(claims.sid, claims.jti, until - this.now(), await this.legacyActive());
  }

  /**
   * Redis holds nothing for the session: the ledger's revocation (or the
   * session missing there) blocklists it again; a live one gets its revoked
   * tokens' marks back, then is remembered for as long as this token is
   * valid, so the ledger is asked once. Resolves the session's revoked jtis.
   */
  private async askLedger(claims: CheckedClaims): Promise<"session_revoked" | Set<string>> {
    const now = this.now();
    const tokenLeft = (claims.exp + CLOCK_SKEW_SECONDS) * 1000 - now;
    const [revokedAt, revokedTokens] = await Promise.all([
      this.ledgerRevokedAt(claims),
      this.deps.db.revokedAccessTokens.listLive(claims.tid, claims.sid, new Date(now)),
    ]);
    if (revokedAt === null) {
      await restoreMarks(this.store, revokedTokens, now);
      await this.store.markLedgerLive(claims.sid, tokenLeft);
      return new Set(revokedTokens.map((token) => token.jti));
    }
    await this.store.markRevoked(claims.sid, Math.max(revokedAt + REVOKED_TTL_MS - now, tokenLeft));
    this.deps.logger.warn("blocklist_refilled", { tenant_id: claims.tid, session_id: claims.sid, sessions: 1 });
    return "session_revoked";
  }

  /**
   * When the ledger says the token's session ended (ms; now for one it does
   * not know), or null while it lives. A client's own token (client
   * credentials) has no session row: it lives as long as its client stays
   * confidential (one made public lost the secret the token was issued on).
   */
  private async ledgerRevokedAt(claims: CheckedClaims): Promise<number | null> {
    if (isClientToken(claims)) {
      const client = await this.deps.db.clients.find(claims.tid, claims.client_id);
      return client?.type === "confidential" ? null : this.now();
    }
    const row = await this.deps.db.sessions.findById(claims.tid, claims.sid);
    if (!row) return this.now();
    return row.revokedAt?.getTime() ?? null;
  }

  /**
   * Whether a Redis used by the previous version may still hold its jti
   * marks: looked up once per process (its marker, which this gives a
   * lifetime so the answer turns false everywhere in the end).
   */
  private async legacyActive(): Promise<boolean> {
    if (this.legacyUntil === undefined) {
      this.legacyLookup ??= this.store
        .ageLegacyMarker(LEGACY_WINDOW_MS)
        .then((left) => {
          this.legacyUntil = left === null ? 0 : this.now() + left;
          return this.legacyUntil;
        })
        .finally(() => {
          this.legacyLookup = undefined;
        });
      await this.legacyLookup;
    }
    return this.now() < (this.legacyUntil ?? 0);
  }
}
