/**
 * Email addresses. The rule (documented in README, "Accounts"):
 * - surrounding white space is trimmed and the text is put in Unicode NFC;
 * - the domain is case-folded (domains are case-insensitive, RFC 5321 §2.4);
 * - the local part is kept as typed, for display and mail;
 * - uniqueness and login compare the whole address case-insensitively
 *   (the lookup key lower-cases the local part too), so `Ann@x.io` and
 *   `ann@x.io` are one account, as users expect.
 */
export interface NormalizedEmail {
  /** What is stored and shown: local part as typed, domain lower-cased. */
  address: string;
  /** What identifies the account within a tenant (blind-indexed). */
  lookupKey: string;
}

// Pragmatic syntax (not the full RFC 5322 grammar): one @, no white space or
// control characters, a dotted domain of sane labels. Unicode is allowed (SMTPUTF8).
const LOCAL = /^[^\s@"(),:;<>[\\\]\p{Cc}]{1,64}$/u;
const LABEL = /^(?!-)[\p{L}\p{N}-]{1,63}(?<!-)$/u;

export const EMAIL_MAX_LENGTH = 254;

/** The normalised address, or undefined when it is not a usable email address. */
export function normalizeEmail(input: string): NormalizedEmail | undefined {
  const text = input.trim().normalize("NFC");
  if (text.length > EMAIL_MAX_LENGTH) return undefined;
  const at = text.lastIndexOf("@");
  if (at <= 0 || at !== text.indexOf("@")) return undefined;
  const local = text.slice(0, at);
  const domain = text.slice(at + 1).toLowerCase();
  const labels = domain.split(".");
  if (!LOCAL.test(local) || local.startsWith(".") || local.endsWith(".") || local.includes("..")) return undefined;
  if (labels.length < 2 || domain.length > 253 || !labels.every((label) => LABEL.test(label))) return undefined;
  if (/^\d+$/.test(labels.at(-1) ?? "")) return undefined;
  const address = `${local}@${domain}`;
  return { address, lookupKey: address.toLowerCase() };
}
