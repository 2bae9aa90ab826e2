/**
 * Who made the request, as every middleware hands it to the application:
 * `c.get("auth")` (Hono), `req.auth` (Express-style), the second argument of
 * a `withAuth` handler.
 */
import type { VerifiedApiKey } from "../api-keys/verifier.js";
import type { AccessTokenClaims } from "../verify/types.js";

interface PrincipalBase {
  scopes: string[];
  /** The tenant's id (`tid`), when known. */
  tenantId: string | undefined;
}

export interface AccessTokenPrincipal extends PrincipalBase {
  type: "access_token";
  /**
   * The user: the token's `sub`; null for a client's own token (client
   * credentials, where `sub` is the client: RFC 9068 §2.2), which acts for no user.
   */
  subject: string | null;
  clientId: string;
  sessionId: string | undefined;
  claims: AccessTokenClaims;
}

export interface ApiKeyPrincipal extends PrincipalBase {
  type: "api_key";
  /** The key's owner; null for a service key of the tenant, which acts for no user. */
  subject: string | null;
  keyId: string;
  expiresAt: Date | null;
}

export type AuthPrincipal = AccessTokenPrincipal | ApiKeyPrincipal;

/** True when the principal holds every one of `scopes`. */
export const hasScopes = (principal: AuthPrincipal, scopes: readonly string[]): boolean =>
  scopes.every((scope) => principal.scopes.includes(scope));

export function tokenPrincipal(claims: AccessTokenClaims): AccessTokenPrincipal {
  return {
    type: "access_token",
    subject: claims.sub === claims.client_id ? null : claims.sub,
    // RFC 9068 §2.2.3.1: `scope` is a space-separated list.
    scopes: typeof claims.scope === "string" ? claims.scope.split(" ").filter((s) => s.length > 0) : [],
    tenantId: claims.tid,
    clientId: claims.client_id,
    sessionId: claims.sid,
    claims,
  };
}

export function apiKeyPrincipal(key: VerifiedApiKey): ApiKeyPrincipal {
  return {
    type: "api_key",
    subject: key.userId,
    scopes: key.scopes,
    tenantId: key.tenantId,
    keyId: key.keyId,
    expiresAt: key.expiresAt,
  };
}
