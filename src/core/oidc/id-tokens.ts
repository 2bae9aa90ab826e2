import { toBase64Url, utf8 } from "../crypto/encoding.js";
import type { Clock } from "../ports/clock.js";
import type { SigningAlgorithm, Tenant } from "../ports/database.js";
import type { KeyRingService } from "../signing/key-ring.js";
import type { AccessTokens } from "../tokens/access-token.js";
import { acrOf } from "../tokens/acr.js";

/** What an ID token says about an authentication (OpenID Connect Core §2). */
export interface IdTokenSubject {
  userId: string;
  clientId: string;
  /** Epoch seconds of the user's authentication (the original one, after a refresh: §12.2). */
  authTime: number;
  amr: string[];
  /** The authorization request's nonce; none after a refresh. */
  nonce?: string | null;
  /** The provider session (`sid`), when known. */
  sessionId?: string;
  /** The access token issued with it (`at_hash`, §3.1.3.6). */
  accessToken: string;
  /** Seconds the ID token is valid: the access token's lifetime. */
  lifetime: number;
}

/**
 * The hash `at_hash` is taken with (§3.1.3.6): the one of the JWS
 * algorithm, SHA-512 for EdDSA over Ed25519 (as OpenID libraries compute it).
 */
const HASH_OF: Record<SigningAlgorithm, "SHA-256" | "SHA-512"> = {
  RS256: "SHA-256",
  ES256: "SHA-256",
  EdDSA: "SHA-512",
};

/** `at_hash`: base64url of the left half of the access token's hash. */
async function accessTokenHash(accessToken: string, alg: SigningAlgorithm): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest(HASH_OF[alg], utf8.encode(accessToken)));
  return toBase64Url(digest.subarray(0, digest.length / 2));
}

/** ID tokens (OpenID Connect Core §2, §3.1.3.6), signed by the tenant's active key like its access tokens. */
export class IdTokens {
  constructor(
    private readonly keys: KeyRingService,
    private readonly tokens: Pick<AccessTokens, "issuer">,
    private readonly deps: { clock: Clock },
  ) {}

  async issue(tenant: Tenant, subject: IdTokenSubject): Promise<string> {
    const signer = await this.keys.signer(tenant);
    const now = Math.floor(this.deps.clock.now().getTime() / 1000);
    const claims = {
      iss: this.tokens.issuer(tenant),
      sub: subject.userId,
      // A single audience, so no `azp` is needed (§2).
      aud: subject.clientId,
      exp: now + subject.lifetime,
      iat: now,
      auth_time: subject.authTime,
      ...(subject.nonce ? { nonce: subject.nonce } : {}),
      amr: subject.amr,
      acr: acrOf(subject.amr),
      ...(subject.sessionId ? { sid: subject.sessionId } : {}),
      at_hash: await accessTokenHash(subject.accessToken, signer.alg),
    };
    return signer.sign({ typ: "JWT" }, claims);
  }
}
