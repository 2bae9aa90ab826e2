import { HOSTED_CSS } from "./stylesheet.js";

/** FNV-1a (32 bit) of the text: enough to tell versions of one file apart, computed synchronously at load. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, "0");
}

export const HOSTED_CSS_PATH = "/assets/hosted.css";
export const HOSTED_CSS_VERSION = fnv1a(HOSTED_CSS);
/** Versioned by content: a changed stylesheet gets a new URL, so browsers may keep each one for a year. */
export const HOSTED_CSS_HREF = `${HOSTED_CSS_PATH}?v=${HOSTED_CSS_VERSION}`;
