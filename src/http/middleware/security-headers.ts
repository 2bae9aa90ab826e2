import type { MiddlewareHandler } from "hono";

/**
 * Security headers on every response, errors included. The API serves JSON
 * and redirects only, so its policy forbids everything a browser could load
 * or frame; the rendered reference at /docs needs the Swagger UI assets.
 */
const API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
const DOCS_POLICY =
  "default-src 'none'; script-src 'unsafe-inline' https://cdn.jsdelivr.net; style-src 'unsafe-inline' https://cdn.jsdelivr.net; " +
  "img-src data: https://cdn.jsdelivr.net; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export function securityHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const headers = c.res.headers;
    headers.set("Content-Security-Policy", c.req.path === "/docs" ? DOCS_POLICY : API_POLICY);
    headers.set("X-Content-Type-Options", "nosniff");
    headers.set("Referrer-Policy", "no-referrer");
    headers.set("X-Frame-Options", "DENY");
    // Browsers act on it over https only; two years, as the HSTS preload list asks.
    headers.set("Strict-Transport-Security", "max-age=63072000; includeSubDomains");
  };
}
