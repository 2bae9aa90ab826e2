import punycode from "punycode/punycode.js";
import { scriptProblem } from "./scripts.js";

/**
 * Email addresses. The rule (documented in docs/guides/passwords-and-email.md):
 * - surrounding white space is trimmed and the text is put in Unicode NFC;
 * - addresses holding invisible characters (Default_Ignorable_Code_Point:
 *   zero-width, soft hyphen, tag and variation characters) or bidi controls
 *   are refused: each would make a distinct account that displays like another;
 * - the local part is kept as typed, for display and mail, and must keep the
 *   mixed-script rule (./scripts.ts);
 * - the domain is stored and compared in one form, its IDNA A-labels (UTS #46
 *   through the WHATWG URL parser, the same in browsers, Node and workerd), so
 *   `exämple.com`, `EXÄMPLE.com` and `xn--exmple-cua.com` are one domain;
 * - uniqueness and login compare the whole address case-insensitively
 *   (the lookup key lower-cases the local part too), so `Ann@x.io` and
 *   `ann@x.io` are one account, as users expect; and the lookup key's local
 *   part is in NFKC, so compatibility forms (full-width `ａｎｎ` from an East
 *   Asian keyboard, the long s `ſ`, ligatures) are the mailbox they stand for.
 */
export interface NormalizedEmail {
  /** What is stored and shown: local part as typed, domain in A-labels. */
  address: string;
  /** What identifies the account within a tenant (blind-indexed). */
  lookupKey: string;
  /**
   * The keys rows indexed under earlier rules carry: before domains were
   * compared as A-labels (the domain as typed and its U-label form), and
   * before the local part was compared in NFKC; all lower-cased, empty
   * unless one differs. Lookups search these too.
   */
  formerLookupKeys: string[];
}

export type EmailCheck = { email: NormalizedEmail; problem?: undefined } | { email?: undefined; problem: string };

// Pragmatic syntax (not the full RFC 5322 grammar): one @, no white space or
// control characters, a dotted domain of sane labels. Unicode is allowed (SMTPUTF8).
const LOCAL = /^[^\s@"(),:;<>[\\\]\p{Cc}]{1,64}$/u;
const LABEL = /^(?!-)[\p{L}\p{N}-]{1,63}(?<!-)$/u;
/** A DNS label as RFC 1035 §2.3.1 spells it (letters, digits, hyphen), after the mapping to A-labels. */
const ASCII_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const INVISIBLE = /[\p{Default_Ignorable_Code_Point}\p{Bidi_Control}]/u;

const EMAIL_MAX_LENGTH = 254;

const INVALID = "must be a valid email address";

/** The normalised address, or why the input is not a usable email address. */
export function checkEmail(input: string): EmailCheck {
  const text = input.trim().normalize("NFC");
  if (text.length > EMAIL_MAX_LENGTH) return { problem: INVALID };
  if (INVISIBLE.test(text)) return { problem: "must not contain invisible or text-direction characters" };
  const at = text.lastIndexOf("@");
  if (at <= 0 || at !== text.indexOf("@")) return { problem: INVALID };
  const local = text.slice(0, at);
  const typedDomain = text.slice(at + 1).toLowerCase();
  if (!LOCAL.test(local) || local.startsWith(".") || local.endsWith(".") || local.includes("..")) {
    return { problem: INVALID };
  }
  const domain = typedDomain.split(".").every((label) => LABEL.test(label)) ? toAscii(typedDomain) : undefined;
  if (!domain) return { problem: INVALID };
  const scripts = scriptProblem(local);
  if (scripts === "mixed") return { problem: "must not mix letters of different scripts before the @" };
  if (scripts) return { problem: "must not contain unassigned or private-use characters" };
  const address = `${local}@${domain}`;
  if (address.length > EMAIL_MAX_LENGTH) return { problem: INVALID };
  const lookupKey = `${local.normalize("NFKC")}@${domain}`.toLowerCase();
  const former = [address, `${local}@${typedDomain}`, `${local}@${punycode.toUnicode(domain)}`].map((key) =>
    key.toLowerCase(),
  );
  return { email: { address, lookupKey, formerLookupKeys: [...new Set(former)].filter((key) => key !== lookupKey) } };
}

/**
 * `checkEmail` for a new address (sign-up, email change), which may not hold
 * a local part in a compatibility form (full-width, a ligature, the long s):
 * it is found as the plain form it stands for, but mail goes to it as typed,
 * so an account under it would hold the plain mailbox's place without
 * reaching it.
 */
export function checkNewEmail(input: string): EmailCheck {
  const check = checkEmail(input);
  const address = check.email?.address ?? "";
  const local = address.slice(0, address.lastIndexOf("@"));
  return local === local.normalize("NFKC")
    ? check
    : { problem: "must be written without full-width letters or other compatibility characters" };
}

/** The normalised address, or undefined when it is not a usable email address. */
export function normalizeEmail(input: string): NormalizedEmail | undefined {
  return checkEmail(input).email;
}

/**
 * The domain in lower-case A-labels (UTS #46 ToASCII, as the WHATWG URL
 * parser's domain-to-ASCII runs it), or undefined when IDNA refuses it or the
 * result is not a DNS host name of at most 253 characters with a non-numeric
 * top-level label.
 */
function toAscii(domain: string): string | undefined {
  let host: string;
  try {
    host = new URL(`http://${domain}`).hostname;
  } catch {
    return undefined;
  }
  const labels = host.split(".");
  if (labels.length < 2 || host.length > 253 || !labels.every((label) => ASCII_LABEL.test(label))) return undefined;
  return /^\d+$/.test(labels.at(-1) ?? "") ? undefined : host;
}
