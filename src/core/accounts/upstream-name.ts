import { LINE_BREAKING } from "../text-rules.js";

const BREAKS = new RegExp(`[${LINE_BREAKING}]+`, "g");
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
  const line = name.replace(LONE_SURROGATE, "\uFFFD").replace(BREAKS, " ").trim();
  return Array.from(line).slice(0, NAME_MAX).join("").trim() || null;
}
