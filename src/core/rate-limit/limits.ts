import type { Tenant } from "../ports/database.js";
import { perTenant } from "../tenant-settings.js";

/**
 * Per-client request limits (docs/guides/rate-limits.md): each route belongs to
 * one named limit; a client network (IPv4 address, IPv6 /64) gets `limit`
 * requests per `windowSeconds` per tenant and limit (GCRA: a burst of
 * `limit`, then a steady `limit / window`). Tenants override single limits
 * through `PUT /v1/admin/rate-limits` (stored as tenants.settings.rate_limits).
 */
export const LIMIT_NAMES = ["login", "signup", "mail", "token", "federation", "service", "default"] as const;
export type LimitName = (typeof LIMIT_NAMES)[number];

export interface Limit {
  limit: number;
  windowSeconds: number;
}

export const DEFAULT_LIMITS: Readonly<Record<LimitName, Limit>> = {
  /** Password attempts; the account itself is protected separately (LoginThrottle). */
  login: { limit: 30, windowSeconds: 60 },
  signup: { limit: 10, windowSeconds: 60 },
  /** Requests that send mail (forgot password, verification, email change): no mail bombing from one network. */
  mail: { limit: 20, windowSeconds: 3_600 },
  /** Refresh and code exchange (the JSON routes and the OAuth token endpoint). */
  token: { limit: 120, windowSeconds: 60 },
  /** OAuth/OIDC and SAML redirects and callbacks. */
  federation: { limit: 60, windowSeconds: 60 },
  /** Server-to-server calls (introspection, revocation, API-key verification) come from few addresses. */
  service: { limit: 6_000, windowSeconds: 60 },
  default: { limit: 600, windowSeconds: 60 },
};

/**
 * Tenant lookups that miss the process's cache, per client network, counted
 * before the database is asked (the tenant is not known yet, so no tenant
 * can override it). Known tenants are served from the cache, so a client
 * needs few: one per tenant and process or isolate every 5 s.
 */
export const TENANT_LOOKUP_LIMIT: Limit = { limit: 300, windowSeconds: 60 };

/**
 * Admin rotations of a tenant's signing keys (each generates a key and
 * retires one that stays published for a token lifetime); the scheduled job
 * is not counted. Sized with MAX_RETIRED_PUBLISHED (signing/key-ring.ts).
 */
export const SIGNING_KEY_ROTATION_LIMIT: Limit = { limit: 10, windowSeconds: 86_400 };

/**
 * Mails of one kind of request to one address (counted by its blind index,
 * before anyone looks the address up, so an address with no account is
 * counted, and answered, exactly like one with an account).
 */
export const MAIL_PER_ADDRESS_LIMIT: Limit = { limit: 5, windowSeconds: 3_600 };

export const LIMIT_RANGE = { min: 1, max: 1_000_000 } as const;
export const WINDOW_RANGE = { min: 1, max: 86_400 } as const;

const inRange = (value: unknown, range: { min: number; max: number }): value is number =>
  typeof value === "number" && Number.isInteger(value) && value >= range.min && value <= range.max;

/** The tenant's effective limits: its valid overrides over the defaults (derived once per tenant object). */
export function limitsOf(tenant: Pick<Tenant, "settings"> | undefined): Readonly<Record<LimitName, Limit>> {
  return tenant ? tenantLimits(tenant) : DEFAULT_LIMITS;
}

const tenantLimits = perTenant((tenant) => {
  const out = { ...DEFAULT_LIMITS };
  const raw = tenant.settings.rate_limits;
  if (!raw || typeof raw !== "object") return out;
  for (const name of LIMIT_NAMES) {
    const entry = (raw as Record<string, unknown>)[name] as { limit?: unknown; window_seconds?: unknown } | undefined;
    if (entry && inRange(entry.limit, LIMIT_RANGE) && inRange(entry.window_seconds, WINDOW_RANGE)) {
      out[name] = { limit: entry.limit, windowSeconds: entry.window_seconds };
    }
  }
  return out;
});

const EXEMPT = new Set(["/healthz", "/readyz", "/metrics"]);

/**
 * The limit a route pattern (`/t/:tenant/v1/login`) counts against, or null
 * for probes and metrics scrapes, which must never be refused.
 */
export function limitForRoute(method: string, pattern: string): LimitName | null {
  if (EXEMPT.has(pattern)) return null;
  const path = pattern.startsWith("/t/:tenant") ? pattern.slice("/t/:tenant".length) : pattern;
  // The hosted pages' forms count against the limits of the JSON routes they stand for.
  if (
    method === "POST" &&
    (path === "/v1/login" ||
      path === "/login" ||
      path === "/v1/mfa/verify" ||
      path === "/login/mfa" ||
      path === "/login/mfa/passkey/options" ||
      path === "/login/mfa/passkey" ||
      path.startsWith("/v1/mfa/enroll/") ||
      path === "/login/mfa/enroll" ||
      path === "/login/passkey" ||
      path === "/v1/passkeys/authentication/options" ||
      path === "/v1/mfa/passkeys/authentication/options" ||
      path === "/v1/passkeys/authentication")
  ) {
    return "login";
  }
  if (method === "POST" && (path === "/v1/signup" || path === "/signup")) return "signup";
  if (
    method === "POST" &&
    (path === "/v1/password/forgot" ||
      path === "/password/forgot" ||
      path === "/v1/email/verification" ||
      path === "/v1/email/change")
  ) {
    return "mail";
  }
  if (path === "/authorize" || path.startsWith("/login/federated/")) return "federation";
  if (
    method === "POST" &&
    (path === "/v1/token/refresh" || path === "/v1/token/exchange" || path === "/oauth2/token")
  ) {
    return "token";
  }
  if (path.startsWith("/v1/oauth/") || /^\/v1\/saml\/[^/]+\/(login|acs)$/.test(path)) return "federation";
  if (method === "POST" && (path === "/v1/introspect" || path === "/v1/revoke" || path === "/v1/api-keys/verify")) {
    return "service";
  }
  return "default";
}
