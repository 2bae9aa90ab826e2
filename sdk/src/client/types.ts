/**
 * The shapes of the authority's HTTP API (API.md, v1), field for field as they
 * travel: request bodies and answers keep the wire's snake_case names. Here
 * the account's (users, logins, sessions, email and password, consents) and
 * what every area shares (timestamps, paging); the other areas' shapes are in
 * the *-types.ts files beside this one.
 */

/** RFC 3339 timestamp in UTC. */
export type Timestamp = string;

/** A page of a listing: pass `next_cursor` as `cursor` for the next one; null on the last page. */
export interface Paginated {
  next_cursor: string | null;
}

/** The query of a paged listing. */
export interface PageQuery {
  /** Items per page, 1 to 100 (default 50; 100 for sessions, API keys and OAuth clients). */
  limit?: number;
  /** The `next_cursor` of the page before; omit for the first page. */
  cursor?: string;
}

export interface User {
  id: string;
  /** The subject of the user's tokens (equals `id`). */
  sub: string;
  email: string;
  name: string | null;
  email_verified: boolean;
  tenant_id: string;
  created_at: Timestamp;
}

/** POST login, signup, refresh and exchange. `refresh_token` is absent in cookie mode. */
export interface TokenResponse {
  access_token: string;
  token_type: "Bearer";
  expires_in: number;
  refresh_token?: string;
  refresh_expires_in: number;
  session_id: string;
}

/**
 * `signup`'s answer: the new user with tokens, or (when the tenant's MFA policy binds the user) with the
 * enrollment challenge instead (`mfa_required` and `enrollment_required`; see `loginEnrollment`).
 */
export type SignupResponse = LoginResponse & { user: User };

/** `GET /v1/sessions`: a page of the caller's live sessions, most recently used first. */
export interface SessionPage extends Paginated {
  sessions: Session[];
}

export interface Session {
  id: string;
  created_at: Timestamp;
  last_used_at: Timestamp;
  expires_at: Timestamp;
  user_agent: string | null;
  ip: string | null;
  auth_method: string;
  current: boolean;
}

export interface SignupInput {
  email: string;
  password: string;
  name?: string;
  /** Cookie mode: the refresh token goes into the `__Host-refresh-{tenant}` cookie (browsers). */
  cookie?: boolean;
}

export interface LoginInput {
  email: string;
  password: string;
  cookie?: boolean;
}

/** `login`'s tokens (the first step was enough). */
export interface LoginTokens extends TokenResponse {
  mfa_required?: never;
}

/** The second factors a login may be finished with. */
export type MfaFactorKind = "totp" | "passkey" | "recovery_code";

/**
 * The answer of `login` (and `signup`, `exchange`) when a second step is due: no tokens yet. For a user with a
 * second factor, finish with `verifyMfa` within `expires_in` s. With `enrollment_required` (the tenant's MFA
 * policy wants a factor the user has not got; `factors` is empty), enroll one with the same token through
 * `loginEnrollment`, which finishes the login.
 */
export interface MfaChallenge {
  mfa_required: true;
  /** Single use; pass it to `verifyMfa` (and, for an enrollment, to `loginEnrollment`). */
  mfa_token: string;
  factors: MfaFactorKind[];
  enrollment_required?: true;
  expires_in: number;
}

/** Tokens, or the MFA challenge: test `mfa_required` to tell them apart. */
export type LoginResponse = LoginTokens | MfaChallenge;

/** The tokens of a finished second step; with the first `recovery_codes` (shown only now) when it enrolled a factor. */
export interface MfaLoginTokens extends TokenResponse {
  recovery_codes?: string[];
}

export interface VerifyMfaInput {
  mfa_token: string;
  type: "totp" | "recovery_code";
  /** The authenticator's current 6 digits, or an unused recovery code. */
  code: string;
  /** Cookie mode (browsers). Default: the client's `cookie` option. */
  cookie?: boolean;
}

/** The answer of a route that mails (202): the mail is on its way, or nothing was due (no enumeration). */
export interface Accepted {
  status: "accepted";
}

/** The `token` of a mailed link (`{PUBLIC_URL}/t/{tenant}/email/verify?token=...` or `.../password/reset?token=...`). */
export interface VerifyEmailInput {
  token: string;
}

export interface ForgotPasswordInput {
  email: string;
}

export interface ResetPasswordInput {
  /** The `token` of the reset mail's link (valid for 30 minutes, once). */
  token: string;
  /** The new password (the same rules as at signup). */
  password: string;
}

export interface ChangePasswordInput {
  current_password: string;
  new_password: string;
}

export interface ChangeEmailInput {
  new_email: string;
  /** The account's current password. */
  password: string;
}

export interface ExchangeInput {
  /** The one-time code from the redirect back to the app. */
  code: string;
  /** Required when a `code_challenge` was given at authorize/login. */
  code_verifier?: string;
  cookie?: boolean;
}

/** A client the user consented to, and the scopes it may have. */
export interface Consent {
  client_id: string;
  client_name: string;
  scopes: string[];
  /** When scopes were last granted. */
  granted_at: Timestamp;
}

export interface Consents {
  /** Most recently granted first. */
  consents: Consent[];
}
