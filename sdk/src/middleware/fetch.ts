/**
 * `withAuth(handler, options)`: wraps any fetch handler, `(request, ...rest)
 * => Response` (Workers' `fetch(request, env, ctx)`, Next.js middleware
 * `(request, event)`, Deno.serve, Bun.serve, service workers), calling it
 * with the principal as second argument only when the request is
 * authenticated and holds `options.scopes`. The request keeps its own type
 * (a `NextRequest` stays one).
 */
import type { WaitUntil } from "../verify/types.js";
import { type AuthOptions, createAuthenticator } from "./authenticate.js";
import { refusalResponse } from "./challenge.js";
import type { AuthPrincipal } from "./principal.js";

export type AuthedHandler<Rest extends unknown[], Req extends Request = Request> = (
  request: Req,
  auth: AuthPrincipal,
  ...rest: Rest
) => Response | Promise<Response>;

/** Workers pass `ctx` (with `waitUntil`) after `env`, Next.js its event first: found wherever it is among the extra arguments. */
function waitUntilOf(rest: unknown[]): WaitUntil | undefined {
  for (const arg of rest) {
    const ctx = arg as { waitUntil?: unknown } | null;
    if (typeof ctx === "object" && ctx !== null && typeof ctx.waitUntil === "function") {
      const waitUntil = ctx.waitUntil as (promise: Promise<unknown>) => void;
      return (promise) => waitUntil.call(ctx, promise);
    }
  }
  return undefined;
}

export function withAuth<Rest extends unknown[], Req extends Request = Request>(
  handler: AuthedHandler<Rest, Req>,
  options: AuthOptions,
): (request: Req, ...rest: Rest) => Promise<Response> {
  const authenticator = createAuthenticator(options);
  return async (request, ...rest) => {
    const outcome = await authenticator.authenticate(request.headers.get("authorization"), waitUntilOf(rest));
    if (!outcome.ok) return refusalResponse(outcome.refusal);
    return handler(request, outcome.principal, ...rest);
  };
}
