import { encodeBase32NoPadding } from "@oslojs/encoding";
import { createTOTPKeyURI, generateHOTP, verifyHOTP } from "@oslojs/otp";

/** RFC 6238 with the defaults every authenticator app understands: SHA-1, 6 digits, 30 s steps. */
const TOTP_DIGITS = 6;
const TOTP_PERIOD_SECONDS = 30;
/** RFC 4226 §4 R6 asks for at least 128 bits; 160 matches SHA-1's output (RFC 4226 §4 recommends it). */
export const TOTP_SECRET_BYTES = 20;
/** RFC 6238 §5.2: one step either side of now absorbs clock drift and typing time. */
const WINDOW_STEPS = 1;

/** RFC 6238 §4.2: T = floor((now - T0) / X), T0 = 0. */
export function totpStep(now: Date): number {
  return Math.floor(now.getTime() / 1000 / TOTP_PERIOD_SECONDS);
}

export function totpCode(secret: Uint8Array, step: number): string {
  return generateHOTP(secret, BigInt(step), TOTP_DIGITS);
}

/** The step within ±1 of now whose code this is (latest first), or null. */
export function matchingStep(secret: Uint8Array, code: string, now: Date): number | null {
  if (!/^[0-9]{6}$/.test(code)) return null;
  const current = totpStep(now);
  for (let step = current + WINDOW_STEPS; step >= current - WINDOW_STEPS; step--) {
    if (verifyHOTP(secret, BigInt(step), TOTP_DIGITS, code)) return step;
  }
  return null;
}

/** The Key URI Format authenticator apps read (otpauth://totp/{issuer}:{account}?secret=…&issuer=…). */
export function totpKeyUri(issuer: string, account: string, secret: Uint8Array): string {
  return createTOTPKeyURI(issuer, account, secret, TOTP_PERIOD_SECONDS, TOTP_DIGITS);
}

/** The secret as apps ask to type it: RFC 4648 base32 without padding. */
export const base32Secret = (secret: Uint8Array): string => encodeBase32NoPadding(secret);
