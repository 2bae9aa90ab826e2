import { fixedLengthEqual } from "../crypto/compare.js";
import { sha256Base64Url } from "../crypto/digest.js";
import { toBase64Url } from "../crypto/encoding.js";
import type { Random } from "../ports/clock.js";
import type { Tenant } from "../ports/database.js";
import type { AtomicScript, KeyValueStore } from "../ports/key-value.js";
import type { Logger } from "../ports/logger.js";
import type { SessionService } from "../sessions/sessions.js";

/** What the authorization endpoint granted; an authorization code stands for it until the token endpoint redeems it. */
export interface AuthorizationGrant {
  clientId: string;
  redirectUri: string;
  userId: string;
  /** The browser session at the provider: the ID token's `sid`. */
  providerSessionId: string;
  /** Granted scopes, space-separated (contains `openid` for OpenID Connect). */
  scope: string;
  nonce: string | null;
  /** S256 only; null when a confidential client sent none (RFC 9700 §2.1.1 requires it of public clients). */
  codeChallenge: string | null;
  /** Epoch seconds. */
  authTime: number;
  amr: string[];
}

/** What the token endpoint was shown with a code (RFC 6749 §4.1.3, RFC 7636 §4.5). */
export interface CodePresentation {
  /** The authenticated client (or the public client named in the form). */
  clientId: string;
  /** The client is public now (it may have been confidential when the code was issued). */
  publicClient: boolean;
  redirectUri: string | undefined;
  codeVerifier: string | undefined;
}

export type Redemption = { ok: true; grant: AuthorizationGrant } | { ok: false; reason: string };

/** RFC 6749 §4.1.2: short-lived; 60 s is plenty for a redirect and a back-channel call. */
const CODE_TTL_MS = 60_000;
/** How long a redeemed code is remembered, so a second presentation revokes what it issued (RFC 6749 §4.1.2). */
const REDEEMED_TTL_MS = 10 * 60_000;
/** A code is 43 characters; anything much longer is not hashed at all. */
const MAX_CODE_LENGTH = 128;
/** RFC 7636 §4.1: 43-128 unreserved characters. */
const CODE_VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;
/** BASE64URL(SHA-256(verifier)): 43 characters. */
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

// The tenant is part of the keys, so a code presented at another tenant misses and is not
// consumed there; the hash tag keeps a code and its marker in one Redis Cluster slot.
const codeKeys = (tenantId: string, hash: string) => [
  `authz-code:{${tenantId}:${hash}}`,
  `authz-code-redeemed:{${tenantId}:${hash}}`,
];

type Taken = { kind: "code"; grant: string } | { kind: "redeemed"; sessionId: string } | { kind: "missing" };

/**
 * Takes a code once, atomically: a live code is deleted and, in the same
 * step, the marker names the session about to be issued from it; without the
 * code, a marker means the code was already redeemed.
 * KEYS: code, marker. ARGV: session id, marker ttl ms.
 */
const takeCode: AtomicScript<Taken> = {
  name: "take_authorization_code",
  lua: `local grant = redis.call('GET', KEYS[1])
if grant then
  redis.call('DEL', KEYS[1])
  redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
  return {'code', grant}
end
local sid = redis.call('GET', KEYS[2])
if sid then return {'redeemed', sid} end
return {'missing'}`,
  memory(store, [codeKey = "", markerKey = ""], [sessionId = "", ttl = "0"]) {
    const grant = store.get(codeKey);
    if (grant !== null) {
      store.del(codeKey);
      store.set(markerKey, sessionId, Number(ttl));
      return ["code", grant];
    }
    const sid = store.get(markerKey);
    return sid === null ? ["missing"] : ["redeemed", sid];
  },
  decode(raw): Taken {
    const [kind, value = ""] = raw as string[];
    if (kind === "code") return { kind, grant: value };
    if (kind === "redeemed") return { kind, sessionId: value };
    return { kind: "missing" };
  },
};

/**
 * Authorization codes (RFC 6749 §4.1): 32 random bytes, of which only the
 * SHA-256 is stored, for 60 s and one use. Redemption checks the client,
 * the exact redirect URI (§4.1.3) and the PKCE verifier (RFC 7636 §4.6); a
 * second presentation of a redeemed code revokes the session issued from it.
 */
export class AuthorizationCodes {
  constructor(
    private readonly deps: {
      kv: KeyValueStore;
      random: Random;
      sessions: Pick<SessionService, "revoke">;
      logger: Logger;
    },
  ) {}

  /** A code for the grant, to send to its redirect URI. */
  async issue(tenant: Tenant, grant: AuthorizationGrant): Promise<string> {
    // The authorization endpoint validated the request; a challenge of another shape is a programming error.
    if (grant.codeChallenge !== null && !S256_CHALLENGE.test(grant.codeChallenge)) {
      throw new TypeError("codeChallenge must be an S256 challenge.");
    }
    const code = toBase64Url(this.deps.random.bytes(32));
    const [key = ""] = codeKeys(tenant.id, await sha256Base64Url(code));
    await this.deps.kv.set(key, JSON.stringify(grant), { ttlMs: CODE_TTL_MS });
    return code;
  }

  /**
   * Spends a code (any presentation at its tenant spends it, right or
   * wrong). `sessionId` is the id the session issued from it will have: a
   * later presentation revokes that session.
   */
  async redeem(tenant: Tenant, code: string, presented: CodePresentation, sessionId: string): Promise<Redemption> {
    if (code.length === 0 || code.length > MAX_CODE_LENGTH) return refused("The code is unknown, used or expired.");
    const keys = codeKeys(tenant.id, await sha256Base64Url(code));
    const taken = await this.deps.kv.run(takeCode, keys, [sessionId, REDEEMED_TTL_MS]);
    if (taken.kind === "redeemed") {
      // RFC 6749 §4.1.2: the code leaked; what it issued is revoked.
      this.deps.logger.warn("authorization_code_reuse", {
        tenant_id: tenant.id,
        session_id: taken.sessionId,
        client_id: presented.clientId,
      });
      await this.deps.sessions.revoke(tenant, taken.sessionId, "authorization_code_reuse");
      return refused("The code was already used; the tokens issued from it are revoked.");
    }
    if (taken.kind === "missing") return refused("The code is unknown, used or expired.");
    const grant = JSON.parse(taken.grant) as AuthorizationGrant;
    const mismatch = await bindingMismatch(grant, presented);
    if (mismatch) {
      // No session will be issued under this marker.
      await this.deps.kv.del(keys[1] ?? "");
      return refused(mismatch);
    }
    return { ok: true, grant };
  }
}

const refused = (reason: string): Redemption => ({ ok: false, reason });

/** Why the presentation does not match the grant, or null when it does. */
async function bindingMismatch(grant: AuthorizationGrant, presented: CodePresentation): Promise<string | null> {
  if (presented.clientId !== grant.clientId) return "The code was issued to another client.";
  // RFC 6749 §4.1.3: identical to the authorization request's redirect_uri.
  if (presented.redirectUri !== grant.redirectUri) return "redirect_uri does not match the authorization request.";
  const verifier = presented.codeVerifier;
  if (grant.codeChallenge === null) {
    // RFC 9700 §2.1.1: a public client's code needs PKCE, one issued while it was confidential too.
    if (presented.publicClient)
      return "code_verifier is required (PKCE); the code was issued without a code_challenge.";
    // RFC 9700 §2.1.1: a verifier without a challenge is a PKCE downgrade; refused.
    return verifier === undefined
      ? null
      : "code_verifier was sent, but the authorization request had no code_challenge.";
  }
  if (verifier === undefined) return "code_verifier is required (PKCE).";
  if (!CODE_VERIFIER.test(verifier)) return "code_verifier must be 43-128 unreserved characters (RFC 7636 §4.1).";
  if (!fixedLengthEqual(await sha256Base64Url(verifier), grant.codeChallenge)) {
    return "code_verifier does not match the code_challenge.";
  }
  return null;
}
