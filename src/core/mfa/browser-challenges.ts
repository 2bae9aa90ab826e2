import { sha256Base64Url } from "../crypto/digest.js";
import { toBase64Url } from "../crypto/encoding.js";
import type { Sealer } from "../crypto/sealing.js";
import type { Random } from "../ports/clock.js";
import type { Tenant } from "../ports/database.js";
import type { KeyValueStore } from "../ports/key-value.js";
import { CHALLENGE_TTL_SECONDS } from "./challenges.js";
import type { FactorKind } from "./factors.js";

const REF = /^[A-Za-z0-9_-]{43}$/;
const heldKey = (tenantId: string, hash: string) => `mfa-browser:${tenantId}:${hash}`;

interface Held {
  /** Sealed under its own key's name: a Redis dump holds no usable token. */
  sealedToken: string;
  /** The hash of the browser's id (as pending authorization requests): the reference works only there. */
  browser: string;
  /** The factors the challenge offers (absent in ones held before a deploy that added them: codes only). */
  factors?: FactorKind[];
}

/** A held challenge as its page needs it. */
export interface HeldChallenge {
  mfaToken: string;
  factors: FactorKind[];
}

/**
 * The hosted login's second step keeps its `mfa_token` server-side: the page
 * carries only an opaque reference, stored hashed and bound to the browser
 * that entered the password, so a copied page or URL is useless elsewhere.
 */
export class BrowserMfaChallenges {
  constructor(private readonly deps: { kv: KeyValueStore; random: Random; sealer: Sealer }) {}

  async hold(tenant: Tenant, challenge: HeldChallenge, browser: string): Promise<string> {
    const ref = toBase64Url(this.deps.random.bytes(32));
    const key = heldKey(tenant.id, await sha256Base64Url(ref));
    const sealedToken = await this.deps.sealer.seal(challenge.mfaToken, key);
    const held: Held = { sealedToken, browser, factors: challenge.factors };
    await this.deps.kv.set(key, JSON.stringify(held), { ttlMs: CHALLENGE_TTL_SECONDS * 1000 });
    return ref;
  }

  /** The challenge when the reference exists at this tenant and belongs to this browser. */
  async find(tenant: Tenant, ref: string | undefined, browser: string): Promise<HeldChallenge | null> {
    if (!ref || !REF.test(ref)) return null;
    const key = heldKey(tenant.id, await sha256Base64Url(ref));
    const raw = await this.deps.kv.get(key);
    const held = raw ? (JSON.parse(raw) as Held) : null;
    if (!held || held.browser !== browser) return null;
    return {
      mfaToken: await this.deps.sealer.open(held.sealedToken, key),
      factors: held.factors ?? ["totp", "recovery_code"],
    };
  }

  /** Once the challenge is spent or dead, its reference goes too. */
  async drop(tenant: Tenant, ref: string): Promise<void> {
    await this.deps.kv.del(heldKey(tenant.id, await sha256Base64Url(ref)));
  }
}
