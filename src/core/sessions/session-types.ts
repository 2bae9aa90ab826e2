import type { UserVersions } from "../accounts/user-versions.js";
import type { Clock, Random } from "../ports/clock.js";
import type { Database } from "../ports/database.js";
import type { KeyValueStore } from "../ports/key-value.js";
import type { Logger } from "../ports/logger.js";
import type { Metrics } from "../ports/telemetry.js";
import type { AccessTokens } from "../tokens/access-token.js";
import type { RefreshTokens } from "./refresh-token.js";
import type { RotationLedger } from "./rotation-ledger.js";
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
 * Why a session was revoked (the `reason` label of sessions_revoked_total;
 * docs/operations.md lists each). `user_ended`: the user was deleted or
 * disabled; `password_changed`: a change or reset of the password;
 * `authorization_code_reuse`: the code the session was issued from was
 * presented again; `client_deleted` / `consent_revoked`: the OAuth client's
 * sessions (all, or one user's) ended with it; `client_type_changed`: a
 * confidential client became public, so its secret no longer guards them; `mfa_required`: the tenant's
 * MFA policy now binds the session's user, and the session completed no
 * second factor.
 */
export const REVOCATION_REASONS = [
  "password_changed",
  "logout",
  "deleted_by_user",
  "admin",
  "refresh_token_reuse",
  "authorization_code_reuse",
  "token_revocation",
  "user_ended",
  "client_deleted",
  "client_type_changed",
  "consent_revoked",
  "mfa_required",
] as const;

export type RevocationReason = (typeof REVOCATION_REASONS)[number];

/** A refresh token that is current in a live session (introspection, RFC 7662). */
export interface ActiveRefreshToken {
  sessionId: string;
  claims: SessionClaims;
  idleExpiresAt: number;
  /** When the token was issued (its rotation, or the login), ms. */
  issuedAt: number;
}

/** How a session differs from a first-party login's (every field defaults to that). */
export interface SessionOptions {
  /** The OAuth client the session's tokens are for. */
  clientId?: string;
  /** The granted scope (space-separated); with `clientId`, the most the session's tokens ever carry. */
  scope?: string;
  /** When the user authenticated (OIDC `auth_time`); now by default. */
  authTime?: Date;
  /** RFC 8176 method references; the login method's by default. */
  amr?: string[];
  /** The provider session the client session was issued from: ending that one with `endWithChildren` ends this one. */
  parentSessionId?: string;
  /** The id the session gets (the token endpoint allots it before it redeems a code). */
  sessionId?: string;
  /** Seconds an access token lives (a client's own); the tenant's by default. */
  accessTokenTtl?: number;
  /** Seconds a refresh token lives unused (the session's idle timeout); the tenant's by default. */
  refreshTokenTtl?: number;
  /**
   * Checked once the session is in the ledger: why the grant no longer holds
   * (the client deleted or changed, the consent withdrawn meanwhile), or null.
   * Their revocations list the sessions after their change, so a session
   * inserted before the change is found by them, and one inserted after it is refused here.
   */
  stillGranted?: () => Promise<string | null>;
}

/** What the token endpoint binds a refresh to (RFC 6749 §6). */
export interface ClientRefresh {
  /** The authenticated client: only its own sessions refresh. */
  clientId: string;
  /** The scopes the client is registered for now: a grant reaches no further (RFC 6749 §6). */
  clientScopes: readonly string[];
  accessTokenTtl?: number;
  refreshTokenTtl?: number;
  /** A narrower scope for this response; the granted one when absent. */
  scope?: string[];
}

/** A refresh's or login's tokens with the session claims and the scope they were issued for. */
export interface IssuedTokens {
  response: TokenResponse;
  claims: SessionClaims;
  scope: string;
}

export interface SessionDeps {
  db: Database;
  kv: KeyValueStore;
  tokens: AccessTokens;
  refreshTokens: RefreshTokens;
  userVersions: UserVersions;
  clock: Clock;
  random: Random;
  logger: Logger;
  /** refreshes_total, refresh_reuse_detected_total, sessions_revoked_total. */
  metrics: Metrics;
  /** How long the token spent just before still yields the same successor (ms). */
  graceMs: number;
  /** The ledger's writer, one per process: rotations of concurrent requests may share one write (Node). */
  ledger: RotationLedger;
}

/** Takes work off the response's critical path (Workers: waitUntil; Node: tracked until shutdown). */
export type Background = (task: Promise<unknown>) => void;
