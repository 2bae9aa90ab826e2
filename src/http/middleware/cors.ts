import type { MiddlewareHandler } from "hono";
import { errors } from "../../core/errors.js";
import { allowedOrigins } from "../../core/tenant-settings.js";
import type { AppEnv } from "../context.js";

/**
 * CORS (Fetch standard, "CORS protocol") for tenant routes, decided by path
 * so preflights (OPTIONS, which match no route) are answered too:
 * - discovery documents and the JWKS are public: any origin, no credentials;
 * - the OAuth token endpoint and UserInfo are open to any origin, without
 *   credentials: a public client (SPA) calls them from its own origin, and
 *   they never read cookies (a client authenticates itself or proves PKCE,
 *   UserInfo takes a Bearer token), so an origin grants nothing there;
 * - the routes a browser app calls itself (sign-up, login and its second step or enrollment, refresh, code
 *   exchange, logout, me, sessions, the email and password flows) allow exactly the origins of the tenant's
 *   redirect allowlist (`PUT /v1/admin/redirect-uris`), with credentials,
 *   because cookie mode sends the `__Host-refresh-{tenant}` cookie;
 * - the account routes a browser app calls with the user's access token only
 *   (API keys, consents, second factors, the passkey list) allow the same
 *   origins without credentials: they read no cookie, and a Bearer token is
 *   no ambient credential a foreign page could ride on;
 * - everything else (admin, service and redirect routes, and the passkey
 *   registration and passwordless login ceremonies, which WebAuthn binds to
 *   PUBLIC_URL's origin, so that no other origin could complete one) sends no
 *   CORS headers, so browsers keep other origins out.
 */
const PUBLIC = /^\/\.well-known\/(openid-configuration|jwks\.json|oauth-authorization-server)$/;
const OPEN = /^\/(oauth2\/token|v1\/userinfo)$/;
const BROWSER =
  /^\/v1\/(signup|login|mfa\/verify|mfa\/enroll\/totp|logout|me|sessions|sessions\/[^/]+|token\/refresh|token\/exchange|email\/(verification|verify|change)|password\/(forgot|reset|change))$/;

/** `api-keys/verify` is a service route and `mfa/passkeys/registration` a ceremony: both stay out. */
const ACCOUNT =
  /^\/v1\/(api-keys|api-keys\/(?!verify$)[^/]+|consents|consents\/[^/]+|mfa\/(factors|factors\/[^/]+|totp|totp\/[^/]+\/confirm|recovery-codes|passkeys|passkeys\/(?!registration$)[^/]+))$/;

const ALLOWED_METHODS = "GET, POST, DELETE";
const ALLOWED_HEADERS = "Authorization, Content-Type, X-Request-Id, traceparent";
/** Response headers a browser app may read besides the CORS-safelisted ones. */
const EXPOSED_HEADERS =
  "X-Request-Id, Retry-After, WWW-Authenticate, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, RateLimit-Policy";
const PREFLIGHT_MAX_AGE = "600";

/**
 * The path after the tenant: `/t/{tenant}{rest}`, or for RFC 8414 §3.1's
 * `/.well-known/oauth-authorization-server/t/{tenant}` the part before it.
 */
function pathInTenant(path: string, tenant: string): string {
  const at = `/t/${tenant}`;
  return path.startsWith(at) ? path.slice(at.length) : path.slice(0, path.length - at.length);
}

export function cors(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const rest = pathInTenant(c.req.path, c.req.param("tenant") ?? "");
    const isOpen = OPEN.test(rest);
    const isPublic = isOpen || PUBLIC.test(rest);
    const isAccount = !isPublic && ACCOUNT.test(rest);
    if (!isPublic && !isAccount && !BROWSER.test(rest)) return next();
    // Credentials only where the cookie may travel.
    const credentials = !isPublic && !isAccount;
    const methods = isOpen ? "GET, POST" : isPublic ? "GET" : isAccount ? "GET, POST, PATCH, DELETE" : ALLOWED_METHODS;
    const origin = c.req.header("origin");
    const preflight = c.req.method === "OPTIONS" && c.req.header("access-control-request-method") !== undefined;
    // A browser never sends the literal "null" for an origin it may trust (opaque origins).
    const allowed =
      isPublic || (origin !== undefined && origin !== "null" && allowedOrigins(c.get("tenant")).has(origin));

    if (preflight) {
      if (!allowed) throw errors.forbidden("This origin is not on the tenant's allowlist.");
      return new Response(null, {
        status: 204,
        headers: {
          "Access-Control-Allow-Origin": isPublic ? "*" : (origin as string),
          ...(isPublic ? {} : { Vary: "Origin" }),
          ...(credentials ? { "Access-Control-Allow-Credentials": "true" } : {}),
          "Access-Control-Allow-Methods": methods,
          "Access-Control-Allow-Headers": ALLOWED_HEADERS,
          "Access-Control-Max-Age": PREFLIGHT_MAX_AGE,
        },
      });
    }

    await next();
    const headers = c.res.headers;
    if (isPublic) {
      headers.set("Access-Control-Allow-Origin", "*");
      headers.set("Access-Control-Expose-Headers", EXPOSED_HEADERS);
      return;
    }
    // The answer depends on Origin, so shared caches must key on it (Fetch standard, CORS protocol and HTTP caches).
    headers.append("Vary", "Origin");
    if (!allowed) return;
    headers.set("Access-Control-Allow-Origin", origin as string);
    if (credentials) headers.set("Access-Control-Allow-Credentials", "true");
    headers.set("Access-Control-Expose-Headers", EXPOSED_HEADERS);
  };
}
