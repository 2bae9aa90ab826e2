import punycode from "punycode/punycode.js";
import { INVISIBLE } from "../text-rules.js";
import { scriptProblem } from "./scripts.js";
import { hasIdnaDifference, hasLaterCharacter } from "./unicode-shared.js";

/**
 * Email addresses. The rule (documented in docs/guides/passwords-and-email.md):
 * - surrounding white space is trimmed and the text is put in Unicode NFC;
 * - characters not every runtime knows (Unicode 17 additions; in the domain,
 *   letters the runtimes' URL parsers map differently) are refused, so Node
 *   and workerd give every address the same verdict (./unicode-shared.ts);
 * - addresses holding invisible characters (Default_Ignorable_Code_Point:
 *   zero-width, soft hyphen, tag and variation characters) or bidi controls
 *   are refused: each would make a distinct account that displays like another;
 * - the local part is kept as typed, for display and mail, and must keep the
 *   mixed-script rule (./scripts.ts);
 * - the domain is stored and compared in one form, its IDNA A-labels (UTS #46
 *   through the WHATWG URL parser), so `exämple.com`, `EXÄMPLE.com` and
 *   `xn--exmple-cua.com` are one domain;
 * - uniqueness and login compare the whole address case-insensitively: the
 *   lookup key's local part is in NFKC, so compatibility forms (full-width
 *   `ａｎｎ` from an East Asian keyboard, the long s `ſ`, ligatures) are the
 *   mailbox they stand for, then case-folded (`foldCase`), so `Ann@x.io` and
 *   `ann@x.io`, `ος@x.io` and `οσ@x.io` are one account, as users expect.
 */
export interface NormalizedEmail {
  /** What is stored and shown: local part as typed, domain in A-labels. */
  address: string;
  /** What identifies the account within a tenant (blind-indexed), and what new rows are indexed under. */
  lookupKey: string;
  /**
   * Every key a row of this address may carry, in the order lookups prefer
   * them: the key of the rule before case folding (whole-string toLowerCase)
   * when it differs, so an account made under it keeps finding its own row;
   * `lookupKey`; the keys of earlier rules (before domains were compared as
   * A-labels: the domain as typed and its U-label form; before NFKC); last,
   * the previous rule's key of the address with each sigma written Σ, the
   * final-sigma spelling an account of the same mailbox may have been made
   * under.
   */
  searchKeys: string[];
}

export type EmailCheck = { email: NormalizedEmail; problem?: undefined } | { email?: undefined; problem: string };

// Pragmatic syntax (not the full RFC 5322 grammar): one @, no white space or
// control characters, a dotted domain of sane labels. Unicode is allowed (SMTPUTF8).
const LOCAL = /^[^\s@"(),:;<>[\\\]\p{Cc}]{1,64}$/u;
const LABEL = /^(?!-)[\p{L}\p{N}-]{1,63}(?<!-)$/u;
/** A DNS label as RFC 1035 §2.3.1 spells it (letters, digits, hyphen), after the mapping to A-labels. */
const ASCII_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

const EMAIL_MAX_LENGTH = 254;

const INVALID = "must be a valid email address";

const UNASSIGNED = "must not contain unassigned or private-use characters";

/** The normalised address, or why the input is not a usable email address. */
export function checkEmail(input: string): EmailCheck {
  const trimmed = input.trim();
  // Before NFC, whose canonical ordering of a mark only one runtime knows could differ.
  if (hasLaterCharacter(trimmed)) return { problem: UNASSIGNED };
  const text = trimmed.normalize("NFC");
  if (text.length > EMAIL_MAX_LENGTH) return { problem: INVALID };
  if (INVISIBLE.test(text)) return { problem: "must not contain invisible or text-direction characters" };
  const at = text.lastIndexOf("@");
  if (at <= 0 || at !== text.indexOf("@")) return { problem: INVALID };
  const local = text.slice(0, at);
  const typedDomain = text.slice(at + 1).toLowerCase();
  if (!LOCAL.test(local) || local.startsWith(".") || local.endsWith(".") || local.includes("..")) {
    return { problem: INVALID };
  }
  const domain = asciiDomain(typedDomain);
  if (!domain) return { problem: INVALID };
  const scripts = scriptProblem(local);
  if (scripts === "mixed") return { problem: "must not mix letters of different scripts before the @" };
  if (scripts) return { problem: UNASSIGNED };
  const address = `${local}@${domain}`;
  if (address.length > EMAIL_MAX_LENGTH) return { problem: INVALID };
  const compatible = local.normalize("NFKC");
  const lookupKey = `${foldCase(compatible)}@${domain}`;
  const previous = `${compatible}@${domain}`.toLowerCase();
  const earlier = [address, `${local}@${typedDomain}`, `${local}@${punycode.toUnicode(domain)}`];
  const sigmas = /[σς]/u.test(compatible) ? [`${compatible.replace(/[σς]/gu, "Σ")}@${domain}`] : [];
  const searchKeys = [previous, lookupKey, ...[...earlier, ...sigmas].map((key) => key.toLowerCase())];
  return { email: { address, lookupKey, searchKeys: [...new Set(searchKeys)] } };
}

/**
 * Simple case folding (Unicode CaseFolding.txt, statuses C and S), where it
 * differs from toLowerCase, decided per character:
 * - final sigma ς folds to σ, and Σ lowers to σ wherever it stands (not
 *   toLowerCase's context-sensitive Final_Sigma, which makes `ΟΣ` `ος`);
 * - the combining ypogegrammeni U+0345 folds to ι, the Cyrillic historic
 *   variants U+1C80–U+1C88 to the letters they are (в д о с т т ъ ѣ ꙋ), and
 *   the symbol variants µ ſ ϐ ϑ ϕ ϖ ϰ ϱ ϵ ẛ ι to theirs (which NFKC does too);
 * - as toLowerCase: ẞ (U+1E9E) lowers to ß, not the full fold `ss` (simple
 *   folding; `ß` and `ss` are two names, as in IDNA 2008 domains); Cherokee
 *   capitals lower to the small letters (folding makes the capitals the
 *   representative: the same classes, and the keys already stored stay);
 *   İ (U+0130) to i + U+0307 (the full fold; simple folding leaves it).
 * Per character, both runtimes lower alike every character an address may
 * hold (Unicode 16). The previous rule's whole-string toLowerCase differs
 * on one: U+0295 ʕ became Cased in Unicode 17, which moves a final sigma
 * after it; only a fallback key (`searchKeys`) depends on that.
 */
// biome-ignore format: one pair a line would make this table 20 lines long
const FOLDS = new Map([
  ["\u00B5", "\u03BC"], ["\u017F", "s"], ["\u0345", "\u03B9"], ["\u03C2", "\u03C3"], ["\u03D0", "\u03B2"],
  ["\u03D1", "\u03B8"], ["\u03D5", "\u03C6"], ["\u03D6", "\u03C0"], ["\u03F0", "\u03BA"], ["\u03F1", "\u03C1"],
  ["\u03F5", "\u03B5"], ["\u1C80", "\u0432"], ["\u1C81", "\u0434"], ["\u1C82", "\u043E"], ["\u1C83", "\u0441"],
  ["\u1C84", "\u0442"], ["\u1C85", "\u0442"], ["\u1C86", "\u044A"], ["\u1C87", "\u0463"], ["\u1C88", "\uA64B"],
  ["\u1E9B", "\u1E61"], ["\u1FBE", "\u03B9"],
]);

function foldCase(text: string): string {
  let folded = "";
  for (const char of text) folded += FOLDS.get(char) ?? char.toLowerCase();
  return folded;
}

/**
 * The keys a typed address is looked up under (login, password recovery,
 * re-indexing a stored address): `key`, what it is counted and indexed
 * under, and `searchKeys` in the order lookups prefer them. An address the
 * rule refuses has one, `legacyLookupKey`'s.
 */
export function lookupKeysOf(input: string): { key: string; searchKeys: string[] } {
  const email = normalizeEmail(input);
  if (email) return { key: email.lookupKey, searchKeys: email.searchKeys };
  const key = legacyLookupKey(input);
  return { key, searchKeys: [key] };
}

/**
 * The key an address today's rule refuses is looked up under, so an account
 * made before a rule existed (a look-alike, a character one runtime knew)
 * still logs in: the address as such a row was indexed, lower-cased (NFC).
 * Where it holds a character not every runtime knows, only ASCII is
 * lower-cased and nothing normalised (the tables for more differ between
 * runtimes), and the domain goes to A-labels when every runtime maps it alike.
 */
function legacyLookupKey(input: string): string {
  const text = input.trim();
  if (!hasLaterCharacter(text)) return text.normalize("NFC").toLowerCase();
  const asciiLower = (part: string) => part.replace(/[A-Z]+/g, (letters) => letters.toLowerCase());
  const at = text.lastIndexOf("@");
  const typed = text.slice(at + 1);
  const domain = at >= 0 && !hasLaterCharacter(typed) ? asciiDomain(typed.toLowerCase()) : undefined;
  return domain ? `${asciiLower(text.slice(0, at))}@${domain}` : asciiLower(text);
}

/**
 * Whether the input has the shape of an address at all (one @ between text
 * without white space or control characters, at most 254 characters): what
 * may name an account, made under this rule or an earlier one.
 */
export function isPlausibleEmail(input: string): boolean {
  const text = input.trim();
  return text.length <= EMAIL_MAX_LENGTH && /^[^\s@\p{Cc}]+@[^\s@\p{Cc}]+$/u.test(text);
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

/** A lower-cased domain in A-labels when its labels are sane and every runtime maps it alike; else undefined. */
function asciiDomain(domain: string): string | undefined {
  return domain.split(".").every((label) => LABEL.test(label)) && !hasIdnaDifference(domain)
    ? toAscii(domain)
    : undefined;
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
