/**
 * The shapes of the authority's HTTP API (API.md, v1), field for field as they
 * travel: request bodies and answers keep the wire's snake_case names.
 */

import type { Paginated } from "./admin-types.js";

/** RFC 3339 timestamp in UTC. */
export type Timestamp = string;

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

/** `loginEnrollment.passkey`: the credential `navigator.credentials.create()` made from `passkeyOptions`. */
export interface EnrollPasskeyInput {
  mfa_token: string;
  /** The credential's `toJSON()`. */
  response: WebAuthnCredentialJSON;
  name?: string;
  /** Cookie mode (browsers). Default: the client's `cookie` option. */
  cookie?: boolean;
}

export interface VerifyMfaInput {
  mfa_token: string;
  type: "totp" | "recovery_code";
  /** The authenticator's current 6 digits, or an unused recovery code. */
  code: string;
  /** Cookie mode (browsers). Default: the client's `cookie` option. */
  cookie?: boolean;
}

/** A confirmed second factor of the caller. */
export interface Factor {
  id: string;
  kind: "totp" | "passkey";
  name: string | null;
  created_at: Timestamp;
  last_used_at: Timestamp | null;
}

export interface Factors {
  factors: Factor[];
  recovery_codes_left: number;
}

/** A pending authenticator app: the secret is shown only in this answer. */
export interface TotpEnrollment {
  id: string;
  /** Base32 (RFC 4648), for typing in by hand. */
  secret: string;
  otpauth_uri: string;
  /** The `otpauth_uri` as a QR code (SVG markup). */
  qr_svg: string;
}

/** Ten single-use codes, shown only here (only their hashes are stored). */
export interface RecoveryCodes {
  recovery_codes: string[];
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

export interface CreateApiKeyInput {
  name: string;
  scopes: string[];
  expires_at?: Timestamp;
}

export interface ApiKey {
  id: string;
  prefix: string;
  name: string;
  scopes: string[];
  created_at: Timestamp;
  last_used_at: Timestamp | null;
  expires_at: Timestamp | null;
}

/** `GET /v1/api-keys`: a page of the caller's keys, newest first. */
export interface ApiKeyPage extends Paginated {
  api_keys: ApiKey[];
}

/** The answer to a creation: `key` (`sk_...`) appears here only. */
export interface CreatedApiKey extends Omit<ApiKey, "last_used_at"> {
  key: string;
}

export type ApiKeyVerification =
  | {
      valid: true;
      key_id: string;
      /** The owner; null for a service key of the tenant. */
      user_id: string | null;
      tenant_id: string;
      scopes: string[];
      expires_at: Timestamp | null;
    }
  | { valid: false };

export interface TokenInput {
  token: string;
  /** `access_token` or `refresh_token`. */
  token_type_hint?: string;
}

/** RFC 7662 introspection answer. */
export type Introspection =
  | {
      active: true;
      sub: string;
      sid: string;
      tid: string;
      scope: string;
      client_id: string;
      exp: number;
      iat: number;
      iss: string;
      token_type: string;
      [claim: string]: unknown;
    }
  | { active: false };

export interface OpenIdConfiguration {
  issuer: string;
  jwks_uri: string;
  authorization_endpoint: string;
  token_endpoint: string;
  end_session_endpoint: string;
  introspection_endpoint: string;
  revocation_endpoint: string;
  userinfo_endpoint: string;
  [field: string]: unknown;
}

export interface Jwk {
  kid: string;
  alg: string;
  use: "sig";
  kty: string;
  [field: string]: unknown;
}

export interface Jwks {
  keys: Jwk[];
}

export interface Health {
  status: "ok";
}

export interface Readiness {
  status: "ok";
  checks: { postgres: "ok"; redis: "ok" };
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

/** A passkey (WebAuthn credential) of the user. */
export interface Passkey {
  id: string;
  kind: "passkey";
  name: string | null;
  /** `multiDevice`: synced between devices (amr `swk`); `singleDevice`: bound to one authenticator (amr `hwk`). */
  device_type: "singleDevice" | "multiDevice";
  backed_up: boolean;
  transports: string[];
  created_at: Timestamp;
  last_used_at: Timestamp | null;
}

export interface Passkeys {
  /** Oldest first. */
  passkeys: Passkey[];
}

/**
 * WebAuthn options JSON, for `PublicKeyCredential.parseCreationOptionsFromJSON` /
 * `parseRequestOptionsFromJSON` in the browser.
 */
export type WebAuthnOptionsJSON = Record<string, unknown>;

/** A credential as `PublicKeyCredential.toJSON()` gives it (WebAuthn §5.1.8). */
export type WebAuthnCredentialJSON = Record<string, unknown>;

export interface PasskeyLoginOptions {
  /** Names the single-use challenge (5 minutes); send it back with the assertion. */
  challenge_id: string;
  options: WebAuthnOptionsJSON;
}

export interface PasskeyLoginInput {
  challenge_id: string;
  response: WebAuthnCredentialJSON;
  /** Deliver the refresh token as the `__Host-refresh-{tenant}` cookie (browsers). Default: the client's `cookie` option. */
  cookie?: boolean;
}
