/**
 * Header and claim checks, shared by every runtime so that Node and WebCrypto
 * reach the same verdict. RFC 9068 (JWT access tokens) and RFC 8725 (JWT best
 * current practices) decide what is refused.
 */
import { isKid } from "./jwk.js";
import { type Algorithm, fail, SUPPORTED_ALGORITHMS, type VerifyFailure } from "./types.js";

/** RFC 9068 §2.1: `at+jwt`, and the full media type `application/at+jwt`, compared case-insensitively. */
const ACCESS_TOKEN_TYPE = /^(application\/)?at\+jwt$/i;

export interface ClaimPolicy {
  audiences: ReadonlySet<string>;
  toleranceSeconds: number;
  /** Claims required beyond RFC 9068 §2.2's. */
  requiredClaims: readonly string[];
}

/** RFC 9068 §2.2: every JWT access token has these. */
const RFC9068_STRINGS = ["sub", "client_id", "jti"] as const;
/** The authority's own claims: when present, they must have these types. */
const OPTIONAL_STRINGS = ["sid", "tid", "scope"] as const;

const isNumericDate = (value: unknown): value is number => typeof value === "number" && Number.isFinite(value);

/**
 * Null when the header is acceptable. (Failures are returned rather than
 * mixed into the header object: a token must never be able to add `ok` to a result.)
 */
export function checkHeader(header: Record<string, unknown>, allowed: ReadonlySet<Algorithm>): VerifyFailure | null {
  const alg = header.alg;
  // RFC 8725 §3.1: only the allowlist; `none`, HMAC and anything unknown are refused before any key is looked at.
  if (typeof alg !== "string" || !SUPPORTED_ALGORITHMS.includes(alg as Algorithm) || !allowed.has(alg as Algorithm)) {
    return fail("invalid_token", "algorithm", "The token's algorithm is not allowed.");
  }
  // RFC 8725 §3.11 and RFC 9068 §4: explicit typing keeps ID tokens and other JWTs out.
  if (typeof header.typ !== "string" || !ACCESS_TOKEN_TYPE.test(header.typ)) {
    return fail("invalid_token", "type", "The token is not an access token (typ must be at+jwt).");
  }
  // RFC 7515 §4.1.11: extensions this verifier does not understand must make it refuse the token.
  if (header.crit !== undefined) {
    return fail("invalid_token", "critical_header", "The token has critical header parameters.");
  }
  // Keys come from the configured JWKS by `kid` only; `jku`, `x5u`, `jwk` and `x5c` are never read.
  if (!isKid(header.kid)) return fail("invalid_token", "unknown_key", "The token names no key (kid).");
  return null;
}

/**
 * RFC 9068 §4: the issuer must match exactly (no normalisation: RFC 8725 §3.8). Checked before the
 * key is looked up, so that another tenant's token (same JWKS host, keys this verifier does not
 * have) is named for what it is, and costs no JWKS refetch; it is refused either way.
 */
export function checkIssuer(payload: Record<string, unknown>, issuer: string): VerifyFailure | null {
  if (payload.iss === issuer) return null;
  return fail("invalid_token", "issuer_mismatch", `The token is from another issuer (this service trusts ${issuer}).`);
}

/** Null when the claims other than `iss` (checked first, by checkIssuer) are acceptable. */
export function checkClaims(
  payload: Record<string, unknown>,
  policy: ClaimPolicy,
  nowSeconds: number,
): VerifyFailure | null {
  const skew = policy.toleranceSeconds;
  const aud = payload.aud;
  const audiences = typeof aud === "string" ? [aud] : Array.isArray(aud) ? aud : null;
  // RFC 9068 §4 and RFC 7519 §4.1.3: this service must be among the audiences.
  if (!audiences?.some((a) => typeof a === "string" && policy.audiences.has(a))) {
    return fail("invalid_token", "audience", "The token is not meant for this audience.");
  }
  if (payload.exp === undefined) return fail("invalid_token", "missing_claim", "The token has no exp.");
  if (!isNumericDate(payload.exp)) return fail("invalid_token", "invalid_claim", "The token's exp is not a number.");
  // RFC 7519 §4.1.4: the current time must be before exp, give or take the allowed skew.
  if (payload.exp <= nowSeconds - skew) return fail("invalid_token", "expired", "The token has expired.");
  if (payload.nbf !== undefined) {
    if (!isNumericDate(payload.nbf)) return fail("invalid_token", "invalid_claim", "The token's nbf is not a number.");
    if (payload.nbf > nowSeconds + skew) return fail("invalid_token", "not_yet_valid", "The token is not valid yet.");
  }
  if (payload.iat === undefined) return fail("invalid_token", "missing_claim", "The token has no iat.");
  if (!isNumericDate(payload.iat)) return fail("invalid_token", "invalid_claim", "The token's iat is not a number.");
  if (payload.iat > nowSeconds + skew) {
    return fail("invalid_token", "issued_in_future", "The token was issued in the future.");
  }
  for (const name of RFC9068_STRINGS) {
    const value = payload[name];
    if (value === undefined) return fail("invalid_token", "missing_claim", `The token has no ${name}.`);
    if (typeof value !== "string" || value.length === 0) {
      return fail("invalid_token", "invalid_claim", `The token's ${name} is not a string.`);
    }
  }
  for (const name of OPTIONAL_STRINGS) {
    if (payload[name] !== undefined && typeof payload[name] !== "string") {
      return fail("invalid_token", "invalid_claim", `The token's ${name} is not a string.`);
    }
  }
  if (payload.auth_time !== undefined && !isNumericDate(payload.auth_time)) {
    return fail("invalid_token", "invalid_claim", "The token's auth_time is not a number.");
  }
  if (payload.amr !== undefined && !(Array.isArray(payload.amr) && payload.amr.every((m) => typeof m === "string"))) {
    return fail("invalid_token", "invalid_claim", "The token's amr is not a list of strings.");
  }
  for (const name of policy.requiredClaims) {
    if (payload[name] === undefined || payload[name] === null) {
      return fail("invalid_token", "missing_claim", `The token has no ${name}.`);
    }
  }
  return null;
}
