/**
 * Characters refused at input and cleaned on output, one rule each. The first
 * two are regex class contents in plain ranges: the OpenAPI document
 * publishes a pattern built of one, and its readers need not know Unicode
 * property escapes.
 */

/** What breaks a line or a header: C0 and C1 controls, DEL, Unicode's line and paragraph separators. */
export const LINE_BREAKING = "\\x00-\\x1f\\x7f-\\x9f\\u2028\\u2029";

/** Bidi embedding and override (U+202A–U+202E) and isolate (U+2066–U+2069) controls: they reorder the text after them. */
export const DIRECTION_CONTROLS = "\\u202a-\\u202e\\u2066-\\u2069";

/** Unicode's default-ignorable characters (every bidi control among them): invisible, so one text can pass for another. */
export const INVISIBLE = /\p{Default_Ignorable_Code_Point}/u;

/** The same but ZWNJ, ZWJ, LRM, RLM and variation selectors, which scripts and emoji need: what a shown name may not hold. */
// biome-ignore lint/suspicious/noMisleadingCharacterClass: the class lists code points to keep, each alone.
export const INVISIBLE_IN_NAMES = /(?![\u200c-\u200f\ufe00-\ufe0f])\p{Default_Ignorable_Code_Point}/u;
