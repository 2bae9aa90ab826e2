/**
 * The public shapes of access-token verification: options, claims and the
 * result object. `verify()` resolves a result rather than throwing for the
 * expected failures (bad, expired or revoked tokens, an unreachable JWKS), so
 * callers branch on `ok` instead of guessing which exceptions are which.
 */

/**
 * The asymmetric algorithms the authority signs with (RFC 7518 §3.3, §3.4;
 * RFC 8037 §3.1). Never `none` and never HMAC: a verifier that accepts HS256
 * can be fooled with the public key as the HMAC secret (RFC 8725 §2.1, §3.1).
 */
export type Algorithm = "RS256" | "ES256" | "EdDSA";
export const SUPPORTED_ALGORITHMS: readonly Algorithm[] = ["RS256", "ES256", "EdDSA"];

/** RFC 9068 §2.2 claims, plus the authority's own (sid, tid, scope, auth_time, amr). */
export interface AccessTokenClaims {
  iss: string;
  sub: string;
  aud: string | string[];
  exp: number;
  iat: number;
  nbf?: number;
  jti: string;
  client_id: string;
  sid?: string;
  tid?: string;
  scope?: string;
  auth_time?: number;
  amr?: string[];
  [claim: string]: unknown;
}

/** The protected header of a token that passed verification. */
export interface AccessTokenHeader {
  alg: Algorithm;
  kid: string;
  typ: string;
  [parameter: string]: unknown;
}

/** Why a token was refused: stable, machine-readable; `description` is for people. */
export type FailureReason =
  | "malformed"
  | "algorithm"
  | "type"
  | "critical_header"
  | "unknown_key"
  | "key_mismatch"
  | "signature"
  | "issuer_mismatch"
  | "audience"
  | "expired"
  | "not_yet_valid"
  | "issued_in_future"
  | "missing_claim"
  | "invalid_claim"
  | "revoked"
  | "jwks_unavailable"
  | "introspection_unavailable"
  | "introspection_unauthorized";

/**
 * `invalid_token` (RFC 6750 §3.1): the token is bad and retrying will not
 * help. `temporarily_unavailable` (RFC 6749 §4.1.2.1): the verdict could not be
 * reached (JWKS or introspection unreachable); the middleware answers 503,
 * not 401, so clients do not throw away a token that may well be valid.
 * `configuration_error`: this service's own credential was refused by the
 * authority (its API key is wrong, revoked or lacks the scope); nothing the
 * client can fix and no outage that passes, so the middleware answers 500.
 */
export type VerificationError = "invalid_token" | "temporarily_unavailable" | "configuration_error";

export interface VerifyFailure {
  ok: false;
  error: VerificationError;
  reason: FailureReason;
  description: string;
}

export interface VerifySuccess {
  ok: true;
  claims: AccessTokenClaims;
  header: AccessTokenHeader;
}

export type VerifyResult = VerifySuccess | VerifyFailure;

/** Thrown by `verifyOrThrow`; carries the same fields as a failed result. */
export class TokenVerificationError extends Error {
  readonly error: VerificationError;
  readonly reason: FailureReason;
  readonly description: string;

  constructor(failure: VerifyFailure) {
    super(failure.description);
    this.name = "TokenVerificationError";
    this.error = failure.error;
    this.reason = failure.reason;
    this.description = failure.description;
  }
}

export const fail = (error: VerificationError, reason: FailureReason, description: string): VerifyFailure => ({
  ok: false,
  error,
  reason,
  description,
});

/** Cache API subset the JWKS cache uses: `caches.default` on Workers, or any object with these two methods. */
export interface EdgeCache {
  match(request: Request): Promise<Response | undefined>;
  put(request: Request, response: Response): Promise<void>;
}

/** Where a configuration error is reported (once, until it is fixed): `console` by default, or any logger with `error`. */
export interface ErrorLogger {
  error(message: string): void;
}

export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** Hands background work (a JWKS refresh) to the platform, e.g. Workers' `ctx.waitUntil`. */
export type WaitUntil = (promise: Promise<unknown>) => void;

export interface JwksSettings {
  /** Smallest and largest freshness taken from the JWKS `Cache-Control: max-age` (seconds; defaults 30 and 3600). */
  minTtlSeconds?: number;
  maxTtlSeconds?: number;
  /**
   * Least time between two fetches caused by an unknown `kid` (seconds, default 30, at least 1): a flood of
   * tokens with random `kid`s costs the JWKS endpoint one request per cooldown, not one per token.
   */
  cooldownSeconds?: number;
  /** How long stale keys are still served while the JWKS endpoint cannot be reached (seconds, default 86400). */
  maxStaleSeconds?: number;
  /** Timeout of one JWKS request (ms, default 5000). */
  timeoutMs?: number;
}

export interface IntrospectionSettings {
  /** Default: `{issuer}/v1/introspect`. */
  url?: string;
  /** The calling service's own API key, with scope `tokens:introspect`. */
  apiKey: string;
  /** How long a verdict is reused (ms; default 30000, at most 300000, never past the token's `exp`). */
  cacheTtlMs?: number;
  /** Most verdicts kept (default 10000). */
  maxEntries?: number;
  /** Timeout of one introspection request (ms, default 5000). */
  timeoutMs?: number;
}

export interface VerifierOptions {
  /** The tenant issuer, `{PUBLIC_URL}/t/{tenant}`; `iss` must equal it exactly. */
  issuer: string;
  /** This service's audience; `aud` must contain it (or one of them). Default: the issuer (the authority's default audience). */
  audience?: string | readonly string[];
  /** Default: `{issuer}/.well-known/jwks.json`. */
  jwksUrl?: string;
  /** Allowlist, a subset of RS256, ES256 and EdDSA (default all three). */
  algorithms?: readonly Algorithm[];
  /** Skew allowed on `exp`, `nbf` and `iat` (seconds, default 60, at most 300; RFC 8725 §3.10). */
  clockToleranceSeconds?: number;
  /** Claims that must be present beyond RFC 9068's (e.g. `["sid", "tid", "scope"]`). */
  requiredClaims?: readonly string[];
  fetch?: FetchLike;
  /** Milliseconds since the epoch (default `Date.now`). */
  now?: () => number;
  /** Shared cache for the JWKS across isolates. Default: `caches.default` where it exists (Workers); `false` turns it off. */
  cache?: EdgeCache | false;
  jwks?: JwksSettings;
  /** `"introspect"`: ask the authority whether a locally valid token was revoked (needs `introspection`). */
  checkRevocation?: "none" | "introspect";
  introspection?: IntrospectionSettings;
  /** Allow plain http for non-loopback URLs (only for private networks; loopback is always allowed). */
  allowInsecureHttp?: boolean;
  /** Receives the one message when the authority refuses the introspection credential (default `console`). */
  logger?: ErrorLogger;
}

export interface VerifyCallOptions {
  waitUntil?: WaitUntil;
}

export interface Verifier {
  readonly issuer: string;
  readonly audiences: readonly string[];
  /** `node:crypto` (Node) or `webcrypto` (Workers, browsers, Deno, Bun without the node condition). */
  readonly backend: string;
  verify(token: string, options?: VerifyCallOptions): Promise<VerifyResult>;
  /** Resolves the claims, or throws a TokenVerificationError. */
  verifyOrThrow(token: string, options?: VerifyCallOptions): Promise<AccessTokenClaims>;
  /** Requests this verifier made: JWKS fetches (origin only) and introspections. */
  stats(): { jwksFetches: number; introspections: number };
}
