import type { MiddlewareHandler } from "hono";

/**
 * Security headers on every response, errors included. The API serves JSON
 * and redirects only, so its policy forbids everything a browser could load
 * or frame. The rendered reference at /docs sets its own, `docsPolicy`.
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

export function securityHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const headers = c.res.headers;
    // Only the /docs page may bring a policy of its own (with its nonce); everything else gets the API's.
    if (c.req.path !== "/docs" || !headers.has("Content-Security-Policy")) {
      headers.set("Content-Security-Policy", API_POLICY);
    }
    headers.set("X-Content-Type-Options", "nosniff");
    headers.set("Referrer-Policy", "no-referrer");
    headers.set("X-Frame-Options", "DENY");
    // Browsers act on it over https only; two years, as the HSTS preload list asks.
    headers.set("Strict-Transport-Security", "max-age=63072000; includeSubDomains");
  };
}
