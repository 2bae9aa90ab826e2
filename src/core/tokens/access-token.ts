import { decodeProtectedHeader, type JWTPayload, errors as joseErrors, jwtVerify } from "jose";
import { toBase64Url } from "../crypto/encoding.js";
import type { Clock, Random } from "../ports/clock.js";
import type { Tenant } from "../ports/database.js";
import { noopTracer, type Tracer } from "../ports/telemetry.js";
import { isCompactJws } from "../signing/jws.js";
import type { KeyRingService } from "../signing/key-ring.js";
import { ACCESS_TOKEN_TTL_RANGE, SIGNING_ALGORITHMS, settingsOf } from "../tenant-settings.js";
import { acrOf } from "./acr.js";

/** RFC 9068 §2.1: the `typ` of JWT access tokens. */
const ACCESS_TOKEN_TYPE = "at+jwt";
/** RFC 8725 §3.4 allows some skew; never more than 60 s here (what other verifiers are allowed). */
export const CLOCK_SKEW_SECONDS = 60;
/**
 * The service's own checks of its tokens run on clocks NTP keeps close (its
 * replicas, the Workers' hosts): a few seconds of skew, so an expired token
 * is refused, and inactive at introspection (RFC 7662 §2.2), at once.
 */
const OWN_CLOCK_SKEW_SECONDS = 5;

export interface AccessTokenClaims {
  iss: string;
  sub: string;
  aud: string;
  exp: number;
  iat: number;
  nbf: number;
  jti: string;
  sid: string;
  tid: string;
  client_id: string;
  scope: string;
  /** Absent in a client's own token (client_credentials), which has no user. */
  auth_time?: number;
  amr?: string[];
  /** Derived from `amr` (acr.ts); absent with it. */
  acr?: string;
}

export interface TokenSubject {
  /** The user, or for a client's own token (client_credentials) the client id (RFC 9068 §2.2). */
  userId: string;
  sessionId: string;
  clientId: string;
  scope: string;
  /** The user's authentication; absent in a client's own token. */
  authTime?: Date;
  amr?: string[];
  /** Lifetime in seconds (an OAuth client's own); the tenant's when absent. */
  ttl?: number;
  /** When the token's session ends (ms): no token outlives the session it was issued for. */
  notAfter?: number;
}

/** A client's own token (client_credentials): RFC 9068 §2.2 makes its subject the client. */
export const isClientToken = (claims: Pick<AccessTokenClaims, "sub" | "client_id">): boolean =>
  claims.sub === claims.client_id;

/**
 * The `sid` of a client's own tokens (client credentials): one per client, a
 * UUID derived from its id, so deleting the client revokes them all at once.
 */
export async function clientTokenSessionId(clientId: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`client-token:${clientId}`));
  const bytes = new Uint8Array(digest, 0, 16);
  // RFC 9562 §5.8: version 8 (custom), variant 10.
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x80;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export class InvalidTokenError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = "InvalidTokenError";
  }
}

const seconds = (date: Date) => Math.floor(date.getTime() / 1000);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const isString = (value: unknown): value is string => typeof value === "string";
const isText = (value: unknown): value is string => typeof value === "string" && value.length > 0;
/** issue() writes whole seconds; a fraction, 1e300 or NaN is no date of its own. */
const isSeconds = (value: unknown): value is number => Number.isSafeInteger(value);

/**
 * The first claim of a verified payload that is not what issue() writes, or
 * null. A signature proves the key, not the shapes: these claims reach SQL
 * (`sub`, `sid` as UUIDs), Dates and the log line. `tid` is compared with the
 * tenant's id by the caller; a client's own token has its client id as `sub`.
 */
function badClaim(payload: JWTPayload, nowSeconds: number): string | null {
  const { sub, sid, client_id, exp, iat, nbf, auth_time, amr } = payload;
  if (!isText(client_id)) return "client_id";
  if (!isText(sub) || (sub !== client_id && !UUID.test(sub))) return "sub";
  if (typeof sid !== "string" || !UUID.test(sid)) return "sid";
  if (!isText(payload.jti)) return "jti";
  if (typeof payload.scope !== "string") return "scope";
  if (!isSeconds(iat) || iat > nowSeconds + OWN_CLOCK_SKEW_SECONDS) return "iat";
  // No token of its own outlives the longest lifetime (the blocklist keeps revocations that long).
  if (!isSeconds(exp) || exp - iat > ACCESS_TOKEN_TTL_RANGE.max) return "exp";
  if (!isSeconds(nbf)) return "nbf";
  if (auth_time !== undefined && !isSeconds(auth_time)) return "auth_time";
  if (amr !== undefined && !(Array.isArray(amr) && amr.every(isString))) return "amr";
  return null;
}

/** Issues and verifies a tenant's access tokens (RFC 9068 JWTs). */
export class AccessTokens {
  constructor(
    private readonly keys: KeyRingService,
    private readonly deps: { clock: Clock; random: Random; tracer?: Tracer },
    private readonly publicUrl: string,
  ) {}

  issuer(tenant: Tenant): string {
    return `${this.publicUrl}/t/${tenant.slug}`;
  }

  audience(tenant: Tenant): string {
    return settingsOf(tenant).audience ?? this.issuer(tenant);
  }

  async issue(tenant: Tenant, subject: TokenSubject): Promise<{ token: string; claims: AccessTokenClaims }> {
    const signer = await this.keys.signer(tenant);
    const now = seconds(this.deps.clock.now());
    const claims: AccessTokenClaims = {
      iss: this.issuer(tenant),
      sub: subject.userId,
      aud: this.audience(tenant),
      exp: Math.min(
        now + (subject.ttl ?? settingsOf(tenant).accessTokenTtl),
        Math.floor((subject.notAfter ?? Infinity) / 1000),
      ),
      iat: now,
      nbf: now,
      jti: toBase64Url(this.deps.random.bytes(16)),
      sid: subject.sessionId,
      tid: tenant.id,
      client_id: subject.clientId,
      scope: subject.scope,
      ...(subject.authTime ? { auth_time: seconds(subject.authTime) } : {}),
      ...(subject.amr ? { amr: subject.amr, acr: acrOf(subject.amr) } : {}),
    };
    // The span names the key (public, in the JWKS), never the claims or the token.
    const token = await (this.deps.tracer ?? noopTracer).span(
      "jwt.sign",
      { "authority.jwt.alg": signer.alg, "authority.jwt.kid": signer.kid },
      () => signer.sign({ typ: ACCESS_TOKEN_TYPE }, { ...claims }),
    );
    return { token, claims };
  }

  /**
   * Verifies a token presented to this tenant. Rejects (InvalidTokenError):
   * malformed tokens, an algorithm outside the allowlist or other than its
   * key's, a `typ` other than at+jwt, a `kid` not among the tenant's own
   * published keys (keys named in the header, `jku`, `x5u`, `jwk`, are never
   * used), a bad signature, a wrong `iss`, `aud` or `tid`, `exp`/`nbf`
   * beyond 5 s of skew, and claims of other types or shapes than issue()
   * writes (badClaim), `iat` in the future among them.
   */
  async verify(tenant: Tenant, token: string): Promise<AccessTokenClaims> {
    // RFC 7515 §2: base64url without padding or whitespace, which jose's decoder would skip.
    if (!isCompactJws(token)) throw new InvalidTokenError("The token is malformed.");
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      throw new InvalidTokenError("The token is malformed.");
    }
    const alg = header.alg as (typeof SIGNING_ALGORITHMS)[number];
    if (!SIGNING_ALGORITHMS.includes(alg)) throw new InvalidTokenError("The token's algorithm is not allowed.");
    if (typeof header.typ !== "string" || !/^(application\/)?at\+jwt$/i.test(header.typ)) {
      throw new InvalidTokenError("The token is not an access token (typ).");
    }
    if (header.crit !== undefined) throw new InvalidTokenError("The token has critical header parameters.");
    if (typeof header.kid !== "string") throw new InvalidTokenError("The token names no key.");
    const verifier = await this.keys.verifier(tenant, header.kid);
    if (!verifier) throw new InvalidTokenError("The token's key is not one of this tenant's.");
    if (verifier.alg !== alg) throw new InvalidTokenError("The token's algorithm does not match its key.");
    try {
      const { payload } = await jwtVerify(token, verifier.key, {
        algorithms: [verifier.alg],
        issuer: this.issuer(tenant),
        audience: this.audience(tenant),
        clockTolerance: OWN_CLOCK_SKEW_SECONDS,
        currentDate: this.deps.clock.now(),
        requiredClaims: ["sub", "exp", "iat", "nbf", "jti", "sid", "tid", "client_id", "scope"],
      });
      if (payload.tid !== tenant.id) throw new InvalidTokenError("The token belongs to another tenant.");
      const bad = badClaim(payload, seconds(this.deps.clock.now()));
      if (bad !== null) throw new InvalidTokenError(`The token's ${bad} claim is not valid.`);
      return payload as unknown as AccessTokenClaims;
    } catch (error) {
      if (error instanceof InvalidTokenError) throw error;
      if (error instanceof joseErrors.JWTExpired) throw new InvalidTokenError("The token has expired.");
      if (error instanceof joseErrors.JOSEError) throw new InvalidTokenError(`The token is not valid (${error.code}).`);
      throw error;
    }
  }
}
