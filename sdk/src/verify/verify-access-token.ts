import type { Verifier, VerifierOptions, VerifyCallOptions, VerifyResult } from "./types.js";
import { createVerifier } from "./verifier.js";

/**
 * One verifier per options object, so the one-call form keeps its JWKS and
 * key cache between calls (a verifier per call would refetch the JWKS each
 * time). Weak: an options object no longer referenced frees its verifier.
 */
const verifiers = new WeakMap<VerifierOptions, Verifier>();

/**
 * Verifies an access token (RFC 9068, RFC 8725) in one call: pass a verifier
 * from `createVerifier`, or the options of one (keep the same options object
 * across calls; it is the cache key). Resolves a result, never throws for a
 * bad token.
 */
export function verifyAccessToken(
  token: string,
  verifierOrOptions: Verifier | VerifierOptions,
  options?: VerifyCallOptions,
): Promise<VerifyResult> {
  if ("verify" in verifierOrOptions && typeof verifierOrOptions.verify === "function") {
    return verifierOrOptions.verify(token, options);
  }
  const settings = verifierOrOptions as VerifierOptions;
  let verifier = verifiers.get(settings);
  if (!verifier) {
    verifier = createVerifier(settings);
    verifiers.set(settings, verifier);
  }
  return verifier.verify(token, options);
}
