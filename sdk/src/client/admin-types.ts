/**
 * The shapes of the administration routes (API.md v1, "Administration" and
 * "Administration of users and service credentials"), snake_case as they travel.
 */
import type { ApiKey, Session, Timestamp, User } from "./types.js";

/** A page of a listing: pass `next_cursor` as `cursor` for the next one; null on the last page. */
export interface Paginated {
  next_cursor: string | null;
}

/** The query of a paged listing. */
export interface PageQuery {
  /** Items per page, 1 to 100 (default 50; 100 for sessions and API keys). */
  limit?: number;
  /** The `next_cursor` of the page before; omit for the first page. */
  cursor?: string;
}

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

/** A user as administration sees it. */
export interface AdminUser extends User {
  /** Scopes held beyond the defaults every token carries. */
  scopes: string[];
  disabled: boolean;
  updated_at: Timestamp;
  last_login_at: Timestamp | null;
}

export interface UserQuery extends PageQuery {
  /** Only the user with this address (as the service normalises it). */
  email?: string;
}

export interface UserPage extends Paginated {
  users: AdminUser[];
}

/** `PATCH` of a user: only the fields given change. */
export interface UserChanges {
  /** Replaces the user's scopes; they apply from the user's next token (a refresh included). */
  scopes?: string[];
  /** true revokes every session and API key of the user at once and refuses logins (403 `account_disabled`). */
  disabled?: boolean;
  email_verified?: boolean;
  name?: string | null;
}

export interface UserSessions extends Paginated {
  /** Most recently used first; `current` is always false. */
  sessions: Session[];
}

export interface RevokeSessionsInput {
  /** Also revoke every API key of the user (they stop at once). */
  include_api_keys?: boolean;
}

/** Any key of the tenant: a user's (`user_id`) or a service key (`user_id` null). */
export interface TenantApiKey extends ApiKey {
  user_id: string | null;
}

export interface TenantApiKeys extends Paginated {
  /** Newest first; never the keys themselves. */
  api_keys: TenantApiKey[];
}

export interface TenantApiKeyQuery extends PageQuery {
  /** Only this user's keys. */
  user_id?: string;
}

export interface AuditEvent {
  id: string;
  at: Timestamp;
  /** E.g. `login.failed`, `api_key.created`, `admin.users.update`. */
  action: string;
  actor: { type: "user" | "api_key" | "bootstrap" | "client" | "system" | "anonymous"; id: string | null };
  target: { type: string | null; id: string | null };
  ip: string | null;
  request_id: string | null;
  /** Never a secret, token or password. */
  details: Record<string, unknown>;
}

export interface AuditEventQuery {
  /** 1 to 100 (default 50). */
  limit?: number;
  cursor?: string;
  action?: string;
  actor_id?: string;
  target_id?: string;
}

export interface AuditEventPage extends Paginated {
  /** Newest first. */
  events: AuditEvent[];
}

/** RFC 6749 §2.1: a confidential client keeps a secret (a server); a public one cannot (a browser or native app). */
export type OAuthClientType = "public" | "confidential";
export type OAuthGrantType = "authorization_code" | "refresh_token" | "client_credentials";

/** An OAuth 2.0 / OpenID Connect client of the tenant, as every answer shows it (never its secret). */
export interface OAuthClient {
  /** Random, 22 characters. */
  client_id: string;
  name: string;
  type: OAuthClientType;
  /** Exact URIs, compared as strings. */
  redirect_uris: string[];
  post_logout_redirect_uris: string[];
  grant_types: OAuthGrantType[];
  /** Scopes the client may ask for. */
  scopes: string[];
  /** First-party clients skip the consent page. */
  first_party: boolean;
  /** Seconds; null for the tenant's default. */
  access_token_ttl: number | null;
  refresh_token_ttl: number | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** What registers a client; left-out fields take their defaults. */
export interface OAuthClientInput {
  name: string;
  type: OAuthClientType;
  /** https, http on a loopback host, or a native app's private-use scheme; no fragment. */
  redirect_uris: string[];
  post_logout_redirect_uris?: string[];
  /** Default `["authorization_code", "refresh_token"]`; `client_credentials` for confidential clients only. */
  grant_types?: OAuthGrantType[];
  /** Default `["openid", "profile", "email"]`. */
  scopes?: string[];
  /** Default false. */
  first_party?: boolean;
  access_token_ttl?: number | null;
  refresh_token_ttl?: number | null;
}

/**
 * `PATCH` of a client: only the fields given change. A new `type` brings a new secret (to confidential) or
 * removes it and ends every session issued to the client (to public).
 */
export type OAuthClientChanges = Partial<OAuthClientInput>;

/**
 * A client with a secret just generated: `client_secret` appears in this answer only (a confidential client
 * registered, or a client made confidential by a change).
 */
export interface OAuthClientWithSecret extends OAuthClient {
  client_secret?: string;
}

export interface OAuthClients {
  /** Newest first. */
  clients: OAuthClient[];
}

export interface RotateClientSecretInput {
  /** How long the replaced secret keeps working: 0 to 604800 seconds (default 86400). */
  overlap_seconds?: number;
}

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
