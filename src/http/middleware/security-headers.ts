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
 * nonce, https logos, and forms posting to this origin or to `formTargets`
 * (where a submitted form may redirect: Chrome checks form-action on redirects).
 * With `script`, the page's own script of this nonce and its fetches from this
 * origin (the login page's passkey button).
 */
export const pagePolicy = (nonce: string, formTargets: string[], script = false) =>
  `default-src 'none'; style-src 'self' 'nonce-${nonce}'; img-src 'self' https:; ` +
  (script ? `script-src 'nonce-${nonce}'; connect-src 'self'; ` : "") +
  `form-action ${["'self'", ...formTargets].join(" ")}; frame-ancestors 'none'; base-uri 'none'`;

/** Sets a page's own Content-Security-Policy, which the middleware then keeps. */
export function ownPolicy(c: Context<AppEnv>, policy: string): void {
  c.set("ownPolicy", true);
  c.header("Content-Security-Policy", policy);
}

/**
 * Sets the security headers on the response: the API's policy unless an
 * HTML page brought its own (with its nonce). Called by the outermost layer
 * once the response is known, so errors and 429s get them too.
 */
export function secureResponse(c: Context<AppEnv>, headers: Headers): void {
  if (!c.get("ownPolicy") || !headers.has("Content-Security-Policy")) {
    headers.set("Content-Security-Policy", API_POLICY);
  }
  headers.set("X-Content-Type-Options", "nosniff");
  headers.set("Referrer-Policy", "no-referrer");
  headers.set("X-Frame-Options", "DENY");
  // Browsers act on it over https only; two years, as the HSTS preload list asks.
  headers.set("Strict-Transport-Security", "max-age=63072000; includeSubDomains");
}
