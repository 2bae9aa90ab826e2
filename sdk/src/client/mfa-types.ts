/** The shapes of second factors (authenticator apps, recovery codes) and passkeys, snake_case as they travel. */
import type { Timestamp } from "./types.js";

/** `loginEnrollment.passkey`: the credential `navigator.credentials.create()` made from `passkeyOptions`. */
export interface EnrollPasskeyInput {
  mfa_token: string;
  /** The credential's `toJSON()`. */
  response: WebAuthnCredentialJSON;
  name?: string;
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
