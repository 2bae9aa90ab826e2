/** What breaks a line or a header: C0 and C1 controls, DEL, Unicode's line and paragraph separators. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const LINE_BREAKING = /[\x00-\x1f\x7f-\x9f\u2028\u2029]+/g;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const NAME_MAX = 200;

/**
 * An identity provider's display name as a user's name: one line (what would
 * break it becomes a space), well-formed UTF-16, at most 200 code points. A
 * signed-up name is refused for the same characters; an upstream's cannot be
 * sent back, and the name is no reason to refuse the login.
 */
export function upstreamName(name: string | null): string | null {
  if (name === null) return null;
  const line = name.replace(LONE_SURROGATE, "\uFFFD").replace(LINE_BREAKING, " ").trim();
  return Array.from(line).slice(0, NAME_MAX).join("").trim() || null;
}
