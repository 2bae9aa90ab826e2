/**
 * Hono middleware (`@authority/sdk/hono`): `requireAuth()` puts the
 * authenticated principal on `c.get("auth")`, `requireScope()` answers 403
 * unless it holds the scopes. Hono is an optional peer dependency, imported
 * for types only: nothing of it is bundled or loaded from here.
 */
import type { Context, MiddlewareHandler } from "hono";
import type { WaitUntil } from "../verify/types.js";
import { type AuthOptions, createAuthenticator, scopeRefusal } from "./authenticate.js";
import { refusalResponse } from "./challenge.js";
import type { AuthPrincipal } from "./principal.js";

export type { AuthOptions } from "./authenticate.js";
export type { AccessTokenPrincipal, ApiKeyPrincipal, AuthPrincipal } from "./principal.js";

/** The Hono environment these middleware provide: `c.get("auth")` is typed. */
export interface AuthEnv {
  Variables: { auth: AuthPrincipal };
}

/** Workers' `ctx.waitUntil` when there is one (Hono throws when asked for an execution context it lacks). */
function waitUntilOf(c: Context): WaitUntil | undefined {
  try {
    const ctx = c.executionCtx;
    return (promise) => ctx.waitUntil(promise);
  } catch {
    return undefined;
  }
}

export function requireAuth(options: AuthOptions): MiddlewareHandler<AuthEnv> {
  const authenticator = createAuthenticator(options);
  return async (c, next) => {
    const outcome = await authenticator.authenticate(c.req.header("authorization"), waitUntilOf(c));
    if (!outcome.ok) return refusalResponse(outcome.refusal);
    c.set("auth", outcome.principal);
    await next();
  };
}

/** After `requireAuth`: 403 insufficient_scope unless the principal holds every one of `scopes`. */
export function requireScope(...scopes: string[]): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const refusal = scopeRefusal(c.get("auth") as AuthPrincipal | undefined, scopes);
    if (refusal) return refusalResponse(refusal);
    await next();
  };
}
