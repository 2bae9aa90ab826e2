import type { Context } from "hono";
import type { AppEnv } from "../context.js";

/**
 * Security headers on every response, errors included. The API serves JSON
 * and redirects only, so its policy forbids everything a browser could load
 * or frame. HTML pages (the reference at /docs, the hosted pages) set their
 * own through `ownPolicy`.
 */
const API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/**
 * /docs: only the scripts and stylesheet the page names with this response's
 * nonce (Swagger UI, served by the app), the data: icons of its stylesheet,
 * and fetches of the API description from this origin.
 */
export const docsPolicy = (nonce: string) =>
  `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; img-src data:; ` +
  "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/**
 * The hosted pages: their one stylesheet, the inline theme of this response's
 * nonce, the tenant's logo as this origin serves it (no third-party asset),
 * and forms posting to this origin or to `formTargets` (where a submitted
 * form may redirect: Chrome checks form-action on redirects).
 * With `script`, the page's own script of this nonce: the form guard
 * (`forms`), or the passkey script with its fetches from this origin (`passkey`).
 */
export const pagePolicy = (nonce: string, formTargets: string[], script?: "forms" | "passkey") =>
  `default-src 'none'; style-src 'self' 'nonce-${nonce}'; img-src 'self'; ` +
  (script ? `script-src 'nonce-${nonce}'; ` : "") +
  (script === "passkey" ? "connect-src 'self'; " : "") +
  `form-action ${["'self'", ...formTargets].join(" ")}; frame-ancestors 'none'; base-uri 'none'`;

/**
 * Sets a page's own Content-Security-Policy, which the outermost layer then
 * keeps. The one way a response gets its own policy: where the runtime presets
 * the headers (Node), the response's own headers win, this one included.
 */
export function ownPolicy(c: Context<AppEnv>, policy: string): void {
  c.set("ownPolicy", true);
  c.header("Content-Security-Policy", policy);
}

/**
 * The security headers of every response (lower-case, as Headers and Node
 * write them). The API's policy gives way to an HTML page's own (ownPolicy).
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": API_POLICY,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  // Browsers act on it over https only; two years, as the HSTS preload list asks.
  "strict-transport-security": "max-age=63072000; includeSubDomains",
};
