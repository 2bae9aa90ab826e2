import type { SessionClaims } from "./session-state.js";

/** API.md's token response. */
export interface TokenResponse {
  access_token: string;
  token_type: "Bearer";
  expires_in: number;
  refresh_token: string;
  refresh_expires_in: number;
  session_id: string;
}

export interface LoginMethod {
  /** `password`, `oauth:{provider}`, `saml:{connection}`. */
  authMethod: string;
  /** RFC 8176 method references: `["pwd"]`, `["oauth"]`, `["saml"]`. */
  amr: string[];
}

export interface ClientInfo {
  userAgent: string | null;
  ip: string | null;
}

/**
 * `user_ended`: the user was deleted or disabled; `password_changed`: a change or reset of the password;
 * `authorization_code_reuse`: the code the session was issued from was presented again.
 * `client_deleted` / `consent_revoked`: the OAuth client's sessions (all, or one user's) ended with it.
 */
export type RevocationReason =
  | "password_changed"
  | "logout"
  | "deleted_by_user"
  | "admin"
  | "refresh_token_reuse"
  | "authorization_code_reuse"
  | "token_revocation"
  | "user_ended"
  | "client_deleted"
  | "consent_revoked";

/** A refresh token that is current in a live session (introspection, RFC 7662). */
export interface ActiveRefreshToken {
  sessionId: string;
  claims: SessionClaims;
  idleExpiresAt: number;
}
