/** The shapes of the administration of a tenant's OAuth 2.0 / OpenID Connect clients, snake_case as they travel. */
import type { Paginated, Timestamp } from "./types.js";

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

/** `GET /v1/admin/clients`: a page of the tenant's clients. */
export interface OAuthClients extends Paginated {
  /** Newest first. */
  clients: OAuthClient[];
}

export interface RotateClientSecretInput {
  /** How long the replaced secret keeps working: 0 to 604800 seconds (default 86400). */
  overlap_seconds?: number;
}
