import type { Clock } from "../ports/clock.js";
import type { Database } from "../ports/database.js";
import type { KeyValueStore } from "../ports/key-value.js";
import type { Logger } from "../ports/logger.js";
import { ACCESS_TOKEN_TTL_RANGE } from "../tenant-settings.js";
import { type AccessTokenClaims, CLOCK_SKEW_SECONDS } from "../tokens/access-token.js";
import { SessionStore } from "./session-store.js";

/**
 * The longest an access token can outlive its session's revocation: the
 * largest lifetime a tenant may configure plus the verifiers' skew. A
 * blocklist refilled after a Redis loss covers revocations this recent.
 */
const REFILL_WINDOW_MS = (ACCESS_TOKEN_TTL_RANGE.max + CLOCK_SKEW_SECONDS) * 1000;

/**
 * The access-token blocklist every bearer-protected route consults: revoked
 * sessions and single revoked `jti`s, in Redis. When Redis has lost its data
 * (its epoch marker is gone), the blocklist is first filled again from the
 * ledger's recent revocations, so a revoked session stays revoked.
 */
export class AccessTokenBlocklist {
  private readonly store: SessionStore;
  private refill: Promise<void> | null = null;

  constructor(private readonly deps: { db: Database; kv: KeyValueStore; clock: Clock; logger: Logger }) {
    this.store = new SessionStore(deps.kv);
  }

  async isRevoked(claims: Pick<AccessTokenClaims, "sid" | "jti">): Promise<boolean> {
    const first = await this.store.blocklisted(claims.sid, claims.jti);
    if (first.revoked) return true;
    if (first.epochPresent) return false;
    // One refill per process at a time; concurrent requests wait for it.
    this.refill ??= this.refillFromLedger().finally(() => {
      this.refill = null;
    });
    await this.refill;
    return (await this.store.blocklisted(claims.sid, claims.jti)).revoked;
  }

  /** Blocklists one access token until it expires (plus skew) (RFC 7009 revocation). */
  async blockToken(claims: Pick<AccessTokenClaims, "jti" | "exp">): Promise<void> {
    await this.store.blockJti(claims.jti, (claims.exp + CLOCK_SKEW_SECONDS) * 1000 - this.deps.clock.now().getTime());
  }

  private async refillFromLedger(): Promise<void> {
    const now = this.deps.clock.now().getTime();
    const revoked = await this.deps.db.sessions.revokedSince(new Date(now - REFILL_WINDOW_MS));
    for (let i = 0; i < revoked.length; i += 100) {
      await Promise.all(
        revoked
          .slice(i, i + 100)
          .map((row) => this.store.markSession(row.id, row.revokedAt.getTime() + REFILL_WINDOW_MS - now)),
      );
    }
    await this.store.setEpoch(now);
    this.deps.logger.warn("blocklist_refilled", { sessions: revoked.length });
  }
}
