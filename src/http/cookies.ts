import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { errors } from "../core/errors.js";
import type { TokenResponse } from "../core/sessions/sessions.js";
import { allowedOrigins } from "../core/tenant-settings.js";
import type { AppEnv } from "./context.js";

/**
 * API.md: the refresh token's cookie in cookie mode, one per tenant so that
 * tenants on one host never overwrite each other's. `__Host-` means Secure,
 * Path=/ and no Domain (RFC 6265bis §4.1.3.2).
 */
const refreshCookie = (c: Context<AppEnv>) => `__Host-refresh-${c.get("tenant").slug}`;

/**
 * The token response for the body: in cookie mode the refresh token moves to
 * an `HttpOnly; Secure; SameSite=Strict` cookie and leaves the body.
 */
export function deliverTokens(c: Context<AppEnv>, response: TokenResponse, cookieMode: boolean) {
  if (!cookieMode) return response;
  setCookie(c, refreshCookie(c), response.refresh_token, {
    path: "/",
    secure: true,
    httpOnly: true,
    sameSite: "Strict",
    maxAge: response.refresh_expires_in,
  });
  const { refresh_token: _inCookie, ...body } = response;
  return body;
}

export function clearRefreshCookie(c: Context<AppEnv>): void {
  deleteCookie(c, refreshCookie(c), { path: "/", secure: true, httpOnly: true, sameSite: "Strict" });
}

/**
 * The refresh token from the cookie, after the CSRF check cookie mode needs:
 * the request's `Origin` must be one of the tenant's allowed origins (those
 * of its redirect allowlist). Undefined when there is no cookie.
 */
export function refreshTokenFromCookie(c: Context<AppEnv>): string | undefined {
  const token = getCookie(c, refreshCookie(c));
  if (token === undefined) return undefined;
  const origin = c.req.header("origin");
  if (!origin || !allowedOrigins(c.get("tenant")).has(origin)) {
    throw errors.forbidden("A request authenticated by cookie needs an Origin from the tenant's allowlist.");
  }
  return token;
}
