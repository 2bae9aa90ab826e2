import type { Context } from "hono";
import { generateCookie, getCookie, setCookie } from "hono/cookie";
import { AppError, errors } from "../core/errors.js";
import type { TokenResponse } from "../core/sessions/sessions.js";
import { allowedOrigins } from "../core/tenant-settings.js";
import type { AppEnv } from "./context.js";

/**
 * API.md: the refresh token's cookie in cookie mode, one per tenant so that
 * tenants on one host never overwrite each other's. `__Host-` means Secure,
 * Path=/ and no Domain (RFC 6265bis §4.1.3.2).
 */
const refreshCookie = (c: Context<AppEnv>) => `__Host-refresh-${c.get("tenant").slug}`;

/** Set and cleared with the same attributes, so that clearing reaches the cookie that was set. */
const ATTRIBUTES = { path: "/", secure: true, httpOnly: true, sameSite: "Strict" } as const;

/**
 * The token response for the body: in cookie mode the refresh token moves to
 * an `HttpOnly; Secure; SameSite=Strict` cookie and leaves the body.
 */
export function deliverTokens(c: Context<AppEnv>, response: TokenResponse, cookieMode: boolean) {
  if (!cookieMode) return response;
  setCookie(c, refreshCookie(c), response.refresh_token, { ...ATTRIBUTES, maxAge: response.refresh_expires_in });
  const { refresh_token: _inCookie, ...body } = response;
  return body;
}

/** The `Set-Cookie` value that removes the refresh cookie (Max-Age=0). */
const clearedRefreshCookie = (c: Context<AppEnv>) => generateCookie(refreshCookie(c), "", { ...ATTRIBUTES, maxAge: 0 });

export function clearRefreshCookie(c: Context<AppEnv>): void {
  c.header("Set-Cookie", clearedRefreshCookie(c), { append: true });
}

/**
 * A refresh by cookie refused with `invalid_grant`: the token is dead for good
 * (spent, revoked, expired, its user gone), and only this answer can clear it,
 * since logout needs a live access token. Other failures (403 Origin, 429,
 * 5xx) say nothing about the token, so they leave the cookie.
 */
export function clearingDeadCookie(c: Context<AppEnv>, error: unknown): unknown {
  if (!(error instanceof AppError) || error.status !== 401 || error.code !== "invalid_grant") return error;
  const headers = { ...error.headers, "Set-Cookie": clearedRefreshCookie(c) };
  return new AppError(error.status, error.code, error.title, error.detail, error.extra, headers);
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
