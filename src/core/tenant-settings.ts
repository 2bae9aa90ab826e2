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
export const SESSION_IDLE_TTL_RANGE = { min: 300, max: 366 * 86_400 } as const;
export const SESSION_ABSOLUTE_TTL_RANGE = { min: 300, max: 3 * 366 * 86_400 } as const;

const inRange = (value: unknown, min: number, max: number): value is number =>
  typeof value === "number" && Number.isInteger(value) && value >= min && value <= max;

/** The tenant's settings with defaults applied (derived once per tenant object: token issue and verify read them). */
export const settingsOf = perTenant((tenant): TenantSettings => {
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
    sessionIdleTtl: inRange(raw.session_idle_ttl, SESSION_IDLE_TTL_RANGE.min, SESSION_IDLE_TTL_RANGE.max)
      ? raw.session_idle_ttl
      : DEFAULT_SETTINGS.sessionIdleTtl,
    sessionAbsoluteTtl: inRange(
      raw.session_absolute_ttl,
      SESSION_ABSOLUTE_TTL_RANGE.min,
      SESSION_ABSOLUTE_TTL_RANGE.max,
    )
      ? raw.session_absolute_ttl
      : DEFAULT_SETTINGS.sessionAbsoluteTtl,
  };
});

/** The tenant's redirect allowlist: exact URIs (RFC 9700 §2.1), set by `PUT /v1/admin/redirect-uris`. */
export function redirectUrisOf(tenant: Pick<Tenant, "settings">): string[] {
  const raw = tenant.settings.redirect_uris;
  return Array.isArray(raw) ? raw.filter((uri): uri is string => typeof uri === "string") : [];
}

/**
 * Derives a value from a tenant's settings once per tenant object: the
 * tenant lookup hands out the same object for its cache lifetime, so hot
 * paths (CORS, cookie mode, rate limits) do not re-parse settings per request.
 */
export function perTenant<T>(derive: (tenant: Pick<Tenant, "settings">) => T) {
  const cache = new WeakMap<object, T>();
  return (tenant: Pick<Tenant, "settings">): T => {
    let value = cache.get(tenant);
    if (value === undefined) {
      value = derive(tenant);
      cache.set(tenant, value);
    }
    return value;
  };
}

/** The origins of the redirect allowlist: the `Origin`s allowed to use cookie mode and CORS. */
export const allowedOrigins = perTenant((tenant): ReadonlySet<string> => {
  const origins = new Set<string>();
  for (const uri of redirectUrisOf(tenant)) {
    const origin = URL.canParse(uri) ? new URL(uri).origin : "null";
    // Opaque origins (custom schemes) serialise as "null", which a browser also sends for sandboxed pages.
    if (origin !== "null") origins.add(origin);
  }
  return origins;
});

/** The issuer of a tenant (API.md): `{PUBLIC_URL}/t/{tenant}`, no trailing slash. */
export function issuerOf(publicUrl: string, tenant: Pick<Tenant, "slug">): string {
  return `${publicUrl}/t/${tenant.slug}`;
}

/** Languages the service's mails (and later its pages) are written in; the first is the default. */
export const LANGUAGES = ["en"] as const;
type Language = (typeof LANGUAGES)[number];

/** How the tenant's mails and pages look: set by `PUT /v1/admin/branding`. */
export interface Branding {
  /** The URL the admin gave for the tenant's logo (mails link it), or null. */
  logoUrl: string | null;
  /**
   * The version (SHA-256) of the logo the service fetched from it and serves at
   * `/t/{tenant}/branding/logo` (the hosted pages show that one); null when none.
   */
  logoVersion: string | null;
  /** `#rrggbb`, or null for the service's default. */
  accentColor: string | null;
  language: Language;
}

export const ACCENT_COLOR = /^#[0-9a-fA-F]{6}$/;

export const brandingOf = perTenant((tenant): Branding => {
  const raw = tenant.settings.branding as Record<string, unknown> | undefined;
  const logo = raw?.logo_url;
  const accent = raw?.accent_color;
  const language = raw?.language;
  const version = raw?.logo_version;
  return {
    logoUrl: typeof logo === "string" && URL.canParse(logo) ? logo : null,
    logoVersion: typeof version === "string" && /^[\w-]{43}$/.test(version) ? version : null,
    accentColor: typeof accent === "string" && ACCENT_COLOR.test(accent) ? accent : null,
    language: LANGUAGES.includes(language as Language) ? (language as Language) : LANGUAGES[0],
  };
});

/**
 * Who must use a second factor at login: `required_for_admins` means users
 * holding the `admin` scope. A bound user without a factor gets no tokens:
 * the login answers an enrollment challenge, and enrolling a factor with its
 * `mfa_token` finishes the login (issue 20).
 */
export const MFA_POLICIES = ["optional", "required", "required_for_admins"] as const;
type MfaPolicy = (typeof MFA_POLICIES)[number];

/**
 * Federated logins (OAuth/OIDC providers, SAML connections): `second_step`
 * treats them as a password (the factor, or the policy's enrollment, follows);
 * `trust_upstream` skips both, for tenants whose identity provider enforces MFA.
 */
export const FEDERATED_LOGIN_MFA = ["second_step", "trust_upstream"] as const;
type FederatedLoginMfa = (typeof FEDERATED_LOGIN_MFA)[number];

export interface MfaSettings {
  policy: MfaPolicy;
  federatedLogins: FederatedLoginMfa;
}

/** The tenant's MFA settings: set by `PUT /v1/admin/mfa-policy`; `optional` and `second_step` by default. */
export const mfaSettingsOf = perTenant((tenant): MfaSettings => {
  const { mfa_policy: policy, mfa_federated_logins: federated } = tenant.settings;
  return {
    policy: MFA_POLICIES.includes(policy as MfaPolicy) ? (policy as MfaPolicy) : "optional",
    federatedLogins: FEDERATED_LOGIN_MFA.includes(federated as FederatedLoginMfa)
      ? (federated as FederatedLoginMfa)
      : "second_step",
  };
});
