/**
 * The shapes of the administration of tenants and their settings (API.md v1,
 * "Administration"), snake_case as they travel. Users, their credentials and
 * the audit log are in admin-user-types.ts; OAuth clients in admin-client-types.ts.
 */
import type { Paginated, Timestamp } from "./types.js";

export interface CreateTenantInput {
  slug: string;
  name: string;
  signing_alg?: string;
  /** Access-token lifetime in seconds. */
  access_token_ttl?: number;
  session_idle_ttl?: number;
  session_absolute_ttl?: number;
  audience?: string;
}

/** A tenant with its effective settings (defaults applied). */
export interface Tenant {
  id: string;
  slug: string;
  name: string;
  issuer: string;
  created_at: Timestamp;
  signing_alg: string;
  /** Seconds. */
  access_token_ttl: number;
  session_idle_ttl: number;
  session_absolute_ttl: number;
  /** null: access tokens carry the issuer as `aud`. */
  audience: string | null;
}

export interface TenantPage extends Paginated {
  tenants: Tenant[];
}

export interface RedirectUris {
  redirect_uris: string[];
}

export interface OAuthProviderInput {
  client_id: string;
  client_secret: string;
  /** A generic OpenID Connect provider's issuer (discovery is read from it). */
  issuer?: string;
  scopes?: string[];
  enabled?: boolean;
}

/** A stored provider: the effective issuer and scopes, never the client secret. */
export interface OAuthProvider {
  provider: string;
  client_id: string;
  issuer: string | null;
  scopes: string[];
  enabled: boolean;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** The last failed call to a provider in the past 3 days, for diagnosis. */
export interface UpstreamError {
  at: Timestamp;
  step: "discovery" | "callback" | "token" | "keys" | "userinfo";
  detail: string;
}

export interface OAuthProviderDetail extends OAuthProvider {
  last_error: UpstreamError | null;
}

export interface OAuthProviderPage extends Paginated {
  providers: OAuthProvider[];
}

export interface SamlConnectionInput {
  idp_metadata_xml: string;
  allow_idp_initiated?: boolean;
  /** Whether the IdP's email counts as verified (default false). */
  trust_email?: boolean;
  attribute_mapping?: { email?: string; name?: string };
  enabled?: boolean;
}

/** A stored connection with its SP's public side, never the SP private key. */
export interface SamlConnection {
  connection: string;
  idp_entity_id: string;
  allow_idp_initiated: boolean;
  trust_email: boolean;
  attribute_mapping: Record<string, string>;
  enabled: boolean;
  sp_entity_id: string;
  acs_url: string;
  sp_certificate: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface SamlConnectionPage extends Paginated {
  connections: SamlConnection[];
}

export interface RotatedSigningKeys {
  next_kid: string;
  active_kid: string;
}

/** A signing key's public information (the JWKS has the public key itself). */
export interface SigningKey {
  kid: string;
  alg: string;
  state: "next" | "active" | "retired";
  created_at: Timestamp;
  activated_at: Timestamp | null;
  retired_at: Timestamp | null;
  /** A retired key leaves the JWKS then; null while it is next or active. */
  published_until: Timestamp | null;
}

/** The next key, the active key, then retired keys still published, newest first. */
export interface SigningKeys {
  keys: SigningKey[];
}

/** How the tenant's mails and hosted pages look (the tenant's `name` is shown with it). `PUT` sets every field. */
export interface Branding {
  /** An https URL, at most 2048 characters; null for none. */
  logo_url: string | null;
  /** `#rrggbb`; null for the default. */
  accent_color: string | null;
  /** Language of mails and pages. */
  language: "en";
}

export type RateLimitName = "login" | "signup" | "mail" | "token" | "federation" | "service" | "default";

export interface RateLimit {
  limit: number;
  window_seconds: number;
}

/** Every limit, overrides applied. */
export type RateLimits = Record<RateLimitName, RateLimit>;

/** Overrides: limits not named return to their defaults. */
export type RateLimitOverrides = Partial<RateLimits>;

/**
 * Who must use a second factor at login (a user with a factor always completes it, whatever the policy). A user
 * a `required` policy binds who has no factor gets no tokens: the login answers an enrollment challenge.
 */
export interface MfaPolicy {
  policy: "optional" | "required" | "required_for_admins";
  /**
   * Logins through OAuth providers and SAML connections: `second_step` asks for the factor (and the policy's
   * enrollment) as after a password; `trust_upstream` skips both (the identity provider enforces MFA).
   */
  federated_logins: "second_step" | "trust_upstream";
}

/** `setMfaPolicy`'s input: an omitted `federated_logins` is `second_step`. */
export interface MfaPolicyInput {
  policy: MfaPolicy["policy"];
  federated_logins?: MfaPolicy["federated_logins"];
}
