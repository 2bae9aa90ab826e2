import type { KeyValueStore } from "../ports/key-value.js";
import { settleAll } from "../settle-all.js";
import { ageLegacyMarker, checkBlocklist } from "./blocklist-scripts.js";
import {
  addSessionChild,
  type RotateOutcome,
  rearmGrace,
  replaceSessionClaims,
  revokeSessionState,
  rotateRefreshToken,
} from "./session-scripts.js";
import {
  childrenKey,
  clientMember,
  decodeState,
  encodeClaims,
  encodeState,
  LEGACY_EPOCH_KEY,
  ledgerLiveKey,
  legacyRevokedJtiKey,
  revokedJtiKey,
  type SessionClaims,
  type SessionState,
  sessionKeys,
} from "./session-state.js";

/** Session state writes the service makes outside scripts. */
export class SessionStore {
  constructor(private readonly kv: KeyValueStore) {}

  /** The state a login starts with; never overwrites (a refresh may already have re-seeded it). */
  async seed(sessionId: string, state: SessionState, now: number): Promise<void> {
    const [stateKey = ""] = sessionKeys(sessionId);
    await this.kv.set(stateKey, encodeState(state), { ttlMs: state.idleExpiresAt - now, onlyIfAbsent: true });
  }

  rotate(
    sessionId: string,
    args: {
      generation: number;
      hash: string;
      successorHash: string;
      sealedSuccessor: string;
      now: number;
      graceMs: number;
      idleTtlMs: number;
      revokedTtlMs: number;
      seed: SessionState | null;
      /** The caller's client: another client's token is `foreign`, left unspent. */
      clientId: string;
    },
  ): Promise<RotateOutcome> {
    return this.kv.run(rotateRefreshToken, sessionKeys(sessionId), [
      args.generation,
      args.hash,
      args.successorHash,
      args.sealedSuccessor,
      args.now,
      args.graceMs,
      args.idleTtlMs,
      args.revokedTtlMs,
      args.seed ? encodeState(args.seed) : "",
      clientMember(args.clientId),
    ]);
  }

  /** The grace window of the token spent as `hash` starts again from `now` (rearmGrace). */
  rearmGrace(sessionId: string, hash: string, now: number, graceMs: number): Promise<void> {
    const [, graceKey = ""] = sessionKeys(sessionId);
    return this.kv.run(rearmGrace, [graceKey], [hash, now, graceMs]);
  }

  /** New claims for the state at `generation` (the user changed); nothing when the state moved on. */
  replaceClaims(sessionId: string, generation: number, claims: SessionClaims): Promise<void> {
    const [stateKey = ""] = sessionKeys(sessionId);
    return this.kv.run(replaceSessionClaims, [stateKey], [generation, encodeClaims(claims)]);
  }

  revoke(sessionId: string, ttlMs: number, reason: string): Promise<void> {
    return this.kv.run(revokeSessionState, sessionKeys(sessionId), [Math.max(1, Math.ceil(ttlMs)), reason]);
  }

  /** Blocklists one access token of the session; `legacy` also under the previous version's name. */
  async blockJti(sessionId: string, jti: string, ttlMs: number, legacy = false): Promise<void> {
    if (ttlMs <= 0) return;
    const ttl = { ttlMs: Math.ceil(ttlMs) };
    await settleAll([
      this.kv.set(revokedJtiKey(sessionId, jti), "1", ttl),
      legacy ? this.kv.set(legacyRevokedJtiKey(jti), "1", ttl) : undefined,
    ]);
  }

  /**
   * Whether the access token is blocklisted (its session or its jti), and
   * whether Redis vouches for its session (holds its state, or the ledger's
   * word that it is live); neither means Redis knows nothing of it.
   */
  blocklisted(sessionId: string, jti: string): Promise<{ revoked: boolean; vouched: boolean }> {
    const [stateKey = "", , revokedKey = ""] = sessionKeys(sessionId);
    return this.kv.run(
      checkBlocklist,
      [revokedKey, revokedJtiKey(sessionId, jti), stateKey, ledgerLiveKey(sessionId)],
      [],
    );
  }

  /** Blocklists a session the ledger says is revoked (Redis had lost its mark). */
  async markRevoked(sessionId: string, ttlMs: number): Promise<void> {
    const [, , revokedKey = ""] = sessionKeys(sessionId);
    if (ttlMs > 0) await this.kv.set(revokedKey, "restored", { ttlMs: Math.ceil(ttlMs) });
  }

  /** Remembers for `ttlMs` that the ledger found the session live. */
  async markLedgerLive(sessionId: string, ttlMs: number): Promise<void> {
    if (ttlMs > 0) await this.kv.set(ledgerLiveKey(sessionId), "1", { ttlMs: Math.ceil(ttlMs) });
  }

  /** Whether the previous version's jti mark is set. */
  async legacyJtiBlocked(jti: string): Promise<boolean> {
    return (await this.kv.get(legacyRevokedJtiKey(jti))) !== null;
  }

  /** The previous version's marker's remaining ms (given `ttlMs` when it had none), or null when absent. */
  async ageLegacyMarker(ttlMs: number): Promise<number | null> {
    const left = await this.kv.run(ageLegacyMarker, [LEGACY_EPOCH_KEY], [ttlMs]);
    return left > 0 ? left : null;
  }

  /** The session's state, "revoked" while it is blocklisted, or null when Redis does not hold it. */
  async read(sessionId: string): Promise<SessionState | "revoked" | null> {
    const [stateKey = "", , revokedKey = ""] = sessionKeys(sessionId);
    const [revoked, raw] = await Promise.all([this.kv.get(revokedKey), this.kv.get(stateKey)]);
    if (revoked !== null) return "revoked";
    return raw === null ? null : (decodeState(raw) ?? null);
  }

  /** Records `child` under its provider session; false when that session is revoked. */
  addChild(parentId: string, child: string, ttlMs: number): Promise<boolean> {
    const [, , parentRevokedKey = ""] = sessionKeys(parentId);
    return this.kv.run(
      addSessionChild,
      [childrenKey(parentId), parentRevokedKey],
      [child, Math.max(1, Math.ceil(ttlMs))],
    );
  }

  /** The children recorded under a provider session, forgotten as they are read. */
  async takeChildren(parentId: string): Promise<string[]> {
    return ((await this.kv.take(childrenKey(parentId))) ?? "").split(" ").filter((id) => id !== "");
  }
}
