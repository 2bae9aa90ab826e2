import { compactVerify, decodeProtectedHeader } from "jose";
import type { Tenant } from "../ports/database.js";
import { isCompactJws } from "../signing/jws.js";
import type { KeyRingService } from "../signing/key-ring.js";
import { SIGNING_ALGORITHMS } from "../tenant-settings.js";

/** What RP-initiated logout learns from a valid `id_token_hint`. */
export interface IdTokenHint {
  sub: string;
  /** The client the ID token was issued to. */
  clientId: string;
  /** The provider session it was issued from. */
  sid: string | null;
}

const MAX_HINT_LENGTH = 8192;

/**
 * Checks an `id_token_hint` (OpenID Connect RP-Initiated Logout 1.0 §2):
 * one of this tenant's ID tokens, signed by one of its published keys with
 * that key's algorithm, with this tenant's issuer. An expired one still
 * counts (§2: the RP may hold it past expiry). Null for anything else; the
 * caller then asks the user instead.
 */
export async function verifyIdTokenHint(
  keys: Pick<KeyRingService, "verifier">,
  tenant: Tenant,
  issuer: string,
  hint: string,
): Promise<IdTokenHint | null> {
  // RFC 7515 §2: base64url without padding or whitespace, which jose's decoder would skip.
  if (hint.length > MAX_HINT_LENGTH || !isCompactJws(hint)) return null;
  try {
    const header = decodeProtectedHeader(hint);
    // An access token (at+jwt) is not an ID token, though the same keys sign it.
    if (header.typ !== undefined && header.typ !== "JWT") return null;
    if (typeof header.kid !== "string" || header.crit !== undefined) return null;
    const verifier = await keys.verifier(tenant, header.kid);
    if (!verifier || header.alg !== verifier.alg || !SIGNING_ALGORITHMS.includes(verifier.alg)) return null;
    const { payload } = await compactVerify(hint, verifier.key, { algorithms: [verifier.alg] });
    const claims = JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>;
    const aud = Array.isArray(claims.aud) && claims.aud.length === 1 ? claims.aud[0] : claims.aud;
    if (claims.iss !== issuer || typeof claims.sub !== "string" || typeof aud !== "string") return null;
    return { sub: claims.sub, clientId: aud, sid: typeof claims.sid === "string" ? claims.sid : null };
  } catch {
    // Malformed, a bad signature or a payload that is not JSON: not a hint this tenant issued.
    return null;
  }
}
