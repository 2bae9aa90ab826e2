/**
 * Hono middleware (`@authority/sdk/hono`): `requireAuth()` puts the
 * authenticated principal on the context, `optionalAuth()` does so when a
 * Bearer credential is presented and lets anonymous requests through with
 * none, `getAuth(c)` reads it, and `requireScope()` answers 403 unless it
 * holds the scopes. Only the few members of Hono's Context used here are
 * typed (structurally): nothing of Hono is imported, so the application's
 * own Hono, whatever its version or copy, is the one that counts.
 */
import type { WaitUntil } from "../verify/types.js";
import { type AuthOptions, createAuthenticator, presentsBearer, scopeRefusal } from "./authenticate.js";
import { refusalResponse } from "./challenge.js";
import type { AuthPrincipal } from "./principal.js";

export type { AuthOptions } from "./authenticate.js";
export type { AccessTokenPrincipal, ApiKeyPrincipal, AuthPrincipal } from "./principal.js";

/** For `new Hono<AuthEnv>()` behind requireAuth: `c.get("auth")` is typed. */
export interface AuthEnv {
  Variables: { auth: AuthPrincipal };
}

/** For `new Hono<OptionalAuthEnv>()` behind optionalAuth: `c.get("auth")` is null for an anonymous request. */
export interface OptionalAuthEnv {
  Variables: { auth: AuthPrincipal | null };
}

/** What these middleware use of Hono's Context (methods, so that any Hono environment fits). */
export interface HonoStyleContext {
  req: { header(name: string): string | undefined; raw: Request };
  var: object;
  set(key: "auth", value: AuthPrincipal | null): void;
  /** Hono throws when there is none (outside Workers). */
  readonly executionCtx: { waitUntil(promise: Promise<unknown>): void };
}

export type HonoStyleMiddleware = (c: HonoStyleContext, next: () => Promise<void>) => Promise<Response | undefined>;

/** The realm of an anonymous request let through by optionalAuth, for requireScope's challenge. */
const anonymousRealms = new WeakMap<Request, string>();

function waitUntilOf(c: HonoStyleContext): WaitUntil | undefined {
  try {
    const ctx = c.executionCtx;
    return (promise) => ctx.waitUntil(promise);
  } catch {
    return undefined;
  }
}

/** Who made the request: the principal set by requireAuth or optionalAuth, or null (anonymous, or neither ran). */
export function getAuth(c: Pick<HonoStyleContext, "var">): AuthPrincipal | null {
  return (c.var as { auth?: AuthPrincipal | null }).auth ?? null;
}

/** 401 without a valid credential (503 when it cannot be checked now); otherwise sets `auth`. */
export function requireAuth(options: AuthOptions): HonoStyleMiddleware {
  const authenticator = createAuthenticator(options);
  return async (c, next) => {
    const outcome = await authenticator.authenticate(c.req.header("authorization"), waitUntilOf(c));
    if (!outcome.ok) return refusalResponse(outcome.refusal);
    c.set("auth", outcome.principal);
    await next();
    return undefined;
  };
}

/**
 * A request without a Bearer credential passes with `auth` null; one that presents a credential
 * is checked as by requireAuth, so a bad or expired token is still a 401, never anonymous.
 */
export function optionalAuth(options: Omit<AuthOptions, "scopes">): HonoStyleMiddleware {
  const authenticator = createAuthenticator(options);
  return async (c, next) => {
    const authorization = c.req.header("authorization");
    if (presentsBearer(authorization)) {
      const outcome = await authenticator.authenticate(authorization, waitUntilOf(c));
      if (!outcome.ok) return refusalResponse(outcome.refusal);
      c.set("auth", outcome.principal);
    } else {
      anonymousRealms.set(c.req.raw, authenticator.realm);
      c.set("auth", null);
    }
    await next();
    return undefined;
  };
}

/** After requireAuth or optionalAuth: 401 when anonymous, 403 insufficient_scope unless the principal holds every one of `scopes`. */
export function requireScope(...scopes: string[]): HonoStyleMiddleware {
  return async (c, next) => {
    const refusal = scopeRefusal(getAuth(c) ?? undefined, scopes, anonymousRealms.get(c.req.raw));
    if (refusal) return refusalResponse(refusal);
    await next();
    return undefined;
  };
}
