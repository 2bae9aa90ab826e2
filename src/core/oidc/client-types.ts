import type { Tenant } from "../ports/database.js";

/** RFC 6749 §2.1: a confidential client can keep a secret; a public one (SPA, native app) cannot. */
export type ClientType = "public" | "confidential";
export type GrantType = "authorization_code" | "refresh_token" | "client_credentials";

/** An OAuth 2.0 / OpenID Connect client of a tenant, as the core sees it (never its secret). */
export interface OAuthClient {
  tenantId: string;
  clientId: string;
  name: string;
  type: ClientType;
  /** Exact URIs, compared as strings (RFC 9700 §2.1). */
  redirectUris: string[];
  /** Where RP-initiated logout may send the browser back to (exact). */
  postLogoutRedirectUris: string[];
  grantTypes: GrantType[];
  /** Scopes the client may ask for. */
  scopes: string[];
  /** First-party clients skip the consent page. */
  firstParty: boolean;
  /** Seconds; null for the tenant's default. */
  accessTokenTtl: number | null;
  refreshTokenTtl: number | null;
  createdAt: Date;
  updatedAt: Date;
}

/** What the endpoints need of the tenant's clients (ClientService implements it). */
export interface ClientDirectory {
  /** A live client of the tenant, or null. */
  find(tenant: Tenant, clientId: string): Promise<OAuthClient | null>;
  /** A confidential client whose current (or, during a rotation's overlap, previous) secret matches; null otherwise. */
  authenticate(tenant: Tenant, clientId: string, secret: string): Promise<OAuthClient | null>;
}
