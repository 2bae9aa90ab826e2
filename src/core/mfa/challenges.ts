import { sha256Base64Url } from "../crypto/digest.js";
import { toBase64Url } from "../crypto/encoding.js";
import type { Clock, Random } from "../ports/clock.js";
import type { Tenant } from "../ports/database.js";
import type { KeyValueStore } from "../ports/key-value.js";
import { LoginCutoffs, PENDING_LOGIN_TTL_MS } from "../sessions/login-cutoffs.js";

/** How long a login's second step may take: the longest pending login step (LoginCutoffs keeps a cutoff as long). */
export const CHALLENGE_TTL_SECONDS = PENDING_LOGIN_TTL_MS / 1000;
/** Wrong codes a challenge takes before it is dead (the login throttle counts them too). */
const CHALLENGE_MAX_ATTEMPTS = 5;
const TOKEN = /^[A-Za-z0-9_-]{43}$/;
// Stored under the token's hash: a Redis dump does not hold usable tokens.
const challengeKey = (tenantId: string, hash: string) => `mfa-challenge:${tenantId}:${hash}`;

/** A login waiting for its second factor. */
export interface MfaChallenge {
  userId: string;
  /** The first step's RFC 8176 methods (`["pwd"]`, `["oauth"]`). */
  amr: string[];
  /** The first step's login method (`password`, `oauth:{provider}`, `saml:{connection}`). */
  method: string;
  /**
   * The user has no factor and the tenant's policy wants one: this challenge
   * may enroll a first factor (and only this kind may), which finishes the login.
   */
  enrollment?: true;
  /** The authenticator app this enrollment started (pending until its first code). */
  totpId?: string;
  attempts: number;
  /** Epoch ms: the injected clock decides expiry, Redis's TTL only cleans up. */
  expiresAt: number;
  /** Epoch ms; absent on challenges of an earlier version (issued a lifetime before they expire). */
  issuedAt?: number;
}

/**
 * The `mfa_token` of a login's second step: 32 random bytes, stored hashed
 * and tenant-scoped in Redis for 5 minutes, spent by the first right code
 * (or the first factor an enrollment challenge confirms).
 */
export class MfaChallenges {
  private readonly cutoffs: LoginCutoffs;

  constructor(private readonly deps: { kv: KeyValueStore; clock: Clock; random: Random }) {
    this.cutoffs = new LoginCutoffs(deps);
  }

  private now(): number {
    return this.deps.clock.now().getTime();
  }

  async issue(tenant: Tenant, first: Pick<MfaChallenge, "userId" | "amr" | "method" | "enrollment">): Promise<string> {
    const token = toBase64Url(this.deps.random.bytes(32));
    const now = this.now();
    const challenge: MfaChallenge = {
      ...first,
      attempts: 0,
      issuedAt: now,
      expiresAt: now + CHALLENGE_TTL_SECONDS * 1000,
    };
    await this.deps.kv.set(challengeKey(tenant.id, await sha256Base64Url(token)), JSON.stringify(challenge), {
      ttlMs: CHALLENGE_TTL_SECONDS * 1000,
    });
    return token;
  }

  /**
   * Takes the challenge out (one attempt at a time: a concurrent attempt
   * finds nothing); null when it expired or its user's logins in progress
   * were ended since it was issued (LoginCutoffs).
   */
  async take(tenant: Tenant, token: string): Promise<MfaChallenge | null> {
    if (!TOKEN.test(token)) return null;
    const challenge = this.live(await this.deps.kv.take(challengeKey(tenant.id, await sha256Base64Url(token))));
    if (!challenge) return null;
    const issuedAt = challenge.issuedAt ?? challenge.expiresAt - CHALLENGE_TTL_SECONDS * 1000;
    return (await this.cutoffs.ended(tenant, challenge.userId, issuedAt)) ? null : challenge;
  }

  /** After a wrong code: the challenge goes back with one attempt more, unless that was its last. */
  async putBack(tenant: Tenant, token: string, challenge: MfaChallenge): Promise<void> {
    const attempts = challenge.attempts + 1;
    if (attempts < CHALLENGE_MAX_ATTEMPTS) await this.restore(tenant, token, { ...challenge, attempts });
  }

  /** Puts a taken challenge back as it is, for what remains of its lifetime. */
  async restore(tenant: Tenant, token: string, challenge: MfaChallenge): Promise<void> {
    const ttlMs = challenge.expiresAt - this.now();
    if (ttlMs <= 0) return;
    await this.deps.kv.set(challengeKey(tenant.id, await sha256Base64Url(token)), JSON.stringify(challenge), {
      ttlMs,
    });
  }

  private live(raw: string | null): MfaChallenge | null {
    const challenge = raw ? (JSON.parse(raw) as MfaChallenge) : null;
    return challenge && challenge.expiresAt > this.now() ? challenge : null;
  }
}
