import type { SigningAlgorithm, Tenant } from "./ports/database.js";

export const SIGNING_ALGORITHMS: readonly SigningAlgorithm[] = ["RS256", "ES256", "EdDSA"];

/** A tenant's settings with defaults applied. Stored as snake_case JSON in tenants.settings. */
export interface TenantSettings {
  signingAlg: SigningAlgorithm;
  /** Access-token lifetime in seconds (RFC 9068 tokens; default 10 minutes). */
  accessTokenTtl: number;
  /** `aud` of access tokens; the issuer when unset (API.md). */
  audience: string | null;
  /** Session idle timeout and absolute lifetime, in seconds. */
  sessionIdleTtl: number;
  sessionAbsoluteTtl: number;
}

export const DEFAULT_SETTINGS: TenantSettings = {
  signingAlg: "RS256",
  accessTokenTtl: 600,
  audience: null,
  sessionIdleTtl: 30 * 86_400,
  sessionAbsoluteTtl: 90 * 86_400,
};

/** Bounds the admin API enforces; a stored value outside them falls back to the default. */
export const ACCESS_TOKEN_TTL_RANGE = { min: 60, max: 86_400 } as const;

const inRange = (value: unknown, min: number, max: number): value is number =>
  typeof value === "number" && Number.isInteger(value) && value >= min && value <= max;

export function settingsOf(tenant: Pick<Tenant, "settings">): TenantSettings {
  const raw = tenant.settings;
  const alg = raw.signing_alg;
  return {
    signingAlg: SIGNING_ALGORITHMS.includes(alg as SigningAlgorithm)
      ? (alg as SigningAlgorithm)
      : DEFAULT_SETTINGS.signingAlg,
    accessTokenTtl: inRange(raw.access_token_ttl, ACCESS_TOKEN_TTL_RANGE.min, ACCESS_TOKEN_TTL_RANGE.max)
      ? raw.access_token_ttl
      : DEFAULT_SETTINGS.accessTokenTtl,
    audience: typeof raw.audience === "string" && raw.audience !== "" ? raw.audience : null,
    sessionIdleTtl: inRange(raw.session_idle_ttl, 300, 366 * 86_400)
      ? raw.session_idle_ttl
      : DEFAULT_SETTINGS.sessionIdleTtl,
    sessionAbsoluteTtl: inRange(raw.session_absolute_ttl, 300, 3 * 366 * 86_400)
      ? raw.session_absolute_ttl
      : DEFAULT_SETTINGS.sessionAbsoluteTtl,
  };
}

/** The issuer of a tenant (API.md): `{PUBLIC_URL}/t/{tenant}`, no trailing slash. */
export function issuerOf(publicUrl: string, tenant: Pick<Tenant, "slug">): string {
  return `${publicUrl}/t/${tenant.slug}`;
}
