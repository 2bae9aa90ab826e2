import { FORM_GUARD_JS } from "./form-guard-script.js";
import { PASSKEY_JS } from "./passkey-script.js";
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

/** A file the hosted pages load from the app, versioned by content. */
export interface HostedAsset {
  path: string;
  contentType: string;
  body: string;
  version: string;
  /** Versioned by content: a changed file gets a new URL, so browsers may keep each one for a year. */
  href: string;
}

function asset(path: string, contentType: string, body: string): HostedAsset {
  const version = fnv1a(body);
  return { path, contentType, body, version, href: `${path}?v=${version}` };
}

export const HOSTED_CSS_ASSET = asset("/assets/hosted.css", "text/css; charset=utf-8", HOSTED_CSS);
export const PASSKEY_JS_ASSET = asset("/assets/passkey.js", "text/javascript; charset=utf-8", PASSKEY_JS);
export const FORMS_JS_ASSET = asset("/assets/forms.js", "text/javascript; charset=utf-8", FORM_GUARD_JS);
