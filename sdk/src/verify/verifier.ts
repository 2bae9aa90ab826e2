/**
 * `createVerifier`: strict verification of the authority's access tokens
 * (RFC 9068 JWTs), in the order RFC 8725 §3 asks for: parse, allowlisted
 * algorithm, explicit type, no critical extensions, the exact issuer, key by
 * `kid` from the configured JWKS only and of the token's algorithm,
 * signature, then the other claims, and last (optionally) revocation at the
 * introspection endpoint.
 */
import { backend } from "#signature";
import { CredentialAlarm } from "../util/credential-alarm.js";
import { bounded, checkedUrl, defaultFetch, underIssuer } from "../util/http.js";
import { checkClaims, checkHeader, checkIssuer } from "./claims.js";
import { Introspector } from "./introspection.js";
import { JwksCache, type JwksKey } from "./jwks.js";
import { decodeJsonObject, splitCompactJws } from "./jws.js";
import {
  type AccessTokenClaims,
  type AccessTokenHeader,
  type Algorithm,
  fail,
  SUPPORTED_ALGORITHMS,
  TokenVerificationError,
  type Verifier,
  type VerifierOptions,
  type VerifyCallOptions,
  type VerifyFailure,
  type VerifyResult,
} from "./types.js";

/**
 * Decoded and accepted protected headers by their exact base64url text: every token of one key
 * has the same header, so it is decoded and checked once (a bounded map, emptied when full).
 */
const HEADER_CACHE_SIZE = 256;

/** Signature lengths fixed by the algorithm (RFC 7518 §3.4: R || S; RFC 8032 §5.1.6); RSA's is the modulus size. */
const FIXED_SIGNATURE_BYTES: Partial<Record<Algorithm, number>> = { ES256: 64, EdDSA: 64 };

function audiencesOf(audience: NonNullable<VerifierOptions["audience"]>): string[] {
  const list = typeof audience === "string" ? [audience] : [...audience];
  if (list.length === 0 || list.some((a) => typeof a !== "string" || a.length === 0)) {
    throw new TypeError("audience must be a non-empty string or list of strings");
  }
  return list;
}

function algorithmsOf(algorithms: VerifierOptions["algorithms"]): Set<Algorithm> {
  const list = algorithms ?? SUPPORTED_ALGORITHMS;
  const unsupported = list.filter((a) => !SUPPORTED_ALGORITHMS.includes(a));
  if (list.length === 0 || unsupported.length > 0) {
    throw new TypeError(
      `algorithms must be some of ${SUPPORTED_ALGORITHMS.join(", ")} (not ${unsupported.join(", ")})`,
    );
  }
  return new Set(list);
}

export function createVerifier(options: VerifierOptions): Verifier {
  if (typeof options.issuer !== "string" || options.issuer.length === 0) throw new TypeError("issuer is required");
  const issuer = options.issuer;
  checkedUrl(issuer, "issuer", options.allowInsecureHttp);
  // The authority's tokens carry the issuer as `aud` unless the tenant configured another audience.
  const audiences = audiencesOf(options.audience ?? issuer);
  const algorithms = algorithmsOf(options.algorithms);
  const now = options.now ?? Date.now;
  const fetchImpl = options.fetch ?? defaultFetch;
  const policy = {
    audiences: new Set(audiences),
    // RFC 8725 §3.10 leaves skew to the verifier; more than five minutes would hide broken clocks.
    toleranceSeconds: bounded(options.clockToleranceSeconds, 60, 0, 300, "clockToleranceSeconds"),
    requiredClaims: [...(options.requiredClaims ?? [])],
  };
  const j = options.jwks ?? {};
  const jwks = new JwksCache({
    url: checkedUrl(
      options.jwksUrl ?? underIssuer(issuer, "/.well-known/jwks.json"),
      "jwksUrl",
      options.allowInsecureHttp,
    ),
    fetch: fetchImpl,
    now,
    backend,
    algorithms,
    edgeCache: options.cache,
    minTtlSeconds: bounded(j.minTtlSeconds, 30, 0, 86_400, "jwks.minTtlSeconds"),
    maxTtlSeconds: bounded(j.maxTtlSeconds, 3_600, 0, 86_400, "jwks.maxTtlSeconds"),
    cooldownSeconds: bounded(j.cooldownSeconds, 30, 1, 3_600, "jwks.cooldownSeconds"),
    maxStaleSeconds: bounded(j.maxStaleSeconds, 86_400, 0, 7 * 86_400, "jwks.maxStaleSeconds"),
    timeoutMs: bounded(j.timeoutMs, 5_000, 1, 60_000, "jwks.timeoutMs"),
  });
  let introspector: Introspector | null = null;
  if (options.checkRevocation === "introspect") {
    const i = options.introspection;
    if (!i || typeof i.apiKey !== "string" || i.apiKey.length === 0) {
      throw new TypeError('checkRevocation "introspect" needs introspection.apiKey');
    }
    introspector = new Introspector({
      url: checkedUrl(i.url ?? underIssuer(issuer, "/v1/introspect"), "introspection.url", options.allowInsecureHttp),
      apiKey: i.apiKey,
      fetch: fetchImpl,
      now,
      cacheTtlMs: bounded(i.cacheTtlMs, 30_000, 0, 300_000, "introspection.cacheTtlMs"),
      maxEntries: bounded(i.maxEntries, 10_000, 0, 1_000_000, "introspection.maxEntries"),
      timeoutMs: bounded(i.timeoutMs, 5_000, 1, 60_000, "introspection.timeoutMs"),
      alarm: new CredentialAlarm(options.logger ?? console, "introspection.apiKey", "tokens:introspect"),
    });
  } else if (options.checkRevocation !== undefined && options.checkRevocation !== "none") {
    throw new TypeError('checkRevocation must be "none" or "introspect"');
  }

  // Entries wrap the header: the wrapper (ours) and a failure (ours) are told apart by "header",
  // never by a field of the token's own header.
  const headers = new Map<string, { header: AccessTokenHeader }>();
  function headerOf(segment: string): { header: AccessTokenHeader } | VerifyFailure {
    const cached = headers.get(segment);
    if (cached) return cached;
    const decoded = decodeJsonObject(segment, backend);
    if (!decoded) return fail("invalid_token", "malformed", "The token is not a well-formed JWT.");
    const refused = checkHeader(decoded, algorithms);
    if (refused) return refused;
    const entry = { header: Object.freeze(decoded) as AccessTokenHeader };
    if (headers.size >= HEADER_CACHE_SIZE) headers.clear();
    headers.set(segment, entry);
    return entry;
  }

  async function verify(token: string, call?: VerifyCallOptions): Promise<VerifyResult> {
    const jws = splitCompactJws(token);
    if (!jws) return fail("invalid_token", "malformed", "The token is not a well-formed JWT.");
    const accepted = headerOf(jws.headerSegment);
    if (!("header" in accepted)) return accepted;
    const header = accepted.header;
    const payload = decodeJsonObject(jws.payloadSegment, backend);
    if (!payload) return fail("invalid_token", "malformed", "The token's claims are not a JSON object.");
    const foreign = checkIssuer(payload, issuer);
    if (foreign) return foreign;
    let key: JwksKey | undefined = jwks.fresh(header.kid);
    if (!key) {
      const found = await jwks.key(header.kid, call?.waitUntil);
      if (found === "unavailable") {
        return fail("temporarily_unavailable", "jwks_unavailable", "The issuer's keys could not be fetched.");
      }
      if (found === "unknown") return fail("invalid_token", "unknown_key", "The token's key is not the issuer's.");
      key = found;
    }
    // RFC 8725 §3.1: the key decides the algorithm; a token naming another one is refused.
    if (key.alg !== header.alg) return fail("invalid_token", "key_mismatch", "The token's algorithm is not its key's.");
    const signature = jws.signatureSegment.length > 0 ? backend.decodeBase64Url(jws.signatureSegment) : null;
    const expected = FIXED_SIGNATURE_BYTES[header.alg];
    let valid = signature !== null && (expected === undefined || signature.length === expected);
    if (valid && signature) {
      const checked = backend.verify(key.key, header.alg, jws.signingInput, signature);
      valid = typeof checked === "boolean" ? checked : await checked;
    }
    if (!valid) return fail("invalid_token", "signature", "The token's signature is not valid.");
    const invalid = checkClaims(payload, policy, Math.floor(now() / 1000));
    if (invalid) return invalid;
    const claims = payload as AccessTokenClaims;
    if (introspector) {
      const verdict = await introspector.check(token, claims);
      if (verdict === "revoked") return fail("invalid_token", "revoked", "The token has been revoked.");
      if (verdict === "unavailable") {
        return fail("temporarily_unavailable", "introspection_unavailable", "Revocation could not be checked.");
      }
      if (verdict === "unauthorized") {
        return fail(
          "configuration_error",
          "introspection_unauthorized",
          "The authority refused this service's introspection credential.",
        );
      }
    }
    return { ok: true, claims, header };
  }

  return {
    issuer,
    audiences,
    backend: backend.name,
    verify,
    async verifyOrThrow(token: string, call?: VerifyCallOptions): Promise<AccessTokenClaims> {
      const result = await verify(token, call);
      if (!result.ok) throw new TokenVerificationError(result);
      return result.claims;
    },
    stats: () => ({ jwksFetches: jwks.fetches, introspections: introspector?.requests ?? 0 }),
  };
}
