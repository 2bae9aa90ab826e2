import { fromBase64Url, fromUtf8 } from "../crypto/encoding.js";

/** Challenges live five minutes and are taken once (WebAuthn §13.4.3). */
export const PASSKEY_CHALLENGE_TTL_MS = 5 * 60_000;

/** A WebAuthn library's failure, in its own words: they describe its internals, so they go to the log only. */
export const messageOf = (error: unknown) => (error instanceof Error ? error.message : "verification failed");

/** The challenge a ceremony's clientDataJSON names (WebAuthn §5.8.1), or null when it cannot be read. */
export function challengeOf(clientDataJSON: unknown): string | null {
  if (typeof clientDataJSON !== "string") return null;
  const bytes = fromBase64Url(clientDataJSON);
  if (!bytes) return null;
  try {
    const parsed = JSON.parse(fromUtf8.decode(bytes)) as { challenge?: unknown };
    return typeof parsed.challenge === "string" && parsed.challenge.length <= 128 ? parsed.challenge : null;
  } catch {
    return null;
  }
}

/** The user id a WebAuthn user handle carries (this service's handles are the id's UTF-8), or null. */
export function userOfHandle(handle: string | undefined): string | null {
  const bytes = handle ? fromBase64Url(handle) : null;
  if (!bytes) return null;
  try {
    return fromUtf8.decode(bytes);
  } catch {
    return null;
  }
}
