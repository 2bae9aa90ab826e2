/**
 * Fastify hooks (`@authority/sdk/fastify`, Fastify 5): `requireAuth()` is an
 * `onRequest` hook that answers the refusal or records who made the request,
 * which `getAuth(request)` then reads; `requireScope()` answers 403 unless
 * that principal holds the scopes. Both answer before the body is read. Only
 * the few members of Fastify's request and reply used here are typed
 * (structurally): nothing of Fastify is imported, and any route's generics fit.
 */
import { type AuthOptions, createAuthenticator, scopeRefusal } from "./authenticate.js";
import type { Refusal } from "./challenge.js";
import type { AuthPrincipal } from "./principal.js";

export type { AuthOptions } from "./authenticate.js";
export type { AccessTokenPrincipal, ApiKeyPrincipal, AuthPrincipal } from "./principal.js";

export interface FastifyStyleRequest {
  headers: { authorization?: string | undefined };
}

export interface FastifyStyleReply {
  code(statusCode: number): FastifyStyleReply;
  headers(values: Record<string, string>): FastifyStyleReply;
  send(payload?: string): FastifyStyleReply;
}

/** An async `onRequest` (or `preHandler`) hook: it resolves to the reply when it answered, to nothing to go on. */
export type AuthHook = (
  request: FastifyStyleRequest,
  reply: FastifyStyleReply,
) => Promise<FastifyStyleReply | undefined>;

/** Principals by request: kept beside Fastify's request object rather than added to it (no decorateRequest needed). */
const principals = new WeakMap<FastifyStyleRequest, AuthPrincipal>();

/** Who made the request, once requireAuth let it through; null when it did not run. */
export const getAuth = (request: FastifyStyleRequest): AuthPrincipal | null => principals.get(request) ?? null;

// Fastify async hooks stop the request when they resolve to the reply they sent.
const send = (reply: FastifyStyleReply, refusal: Refusal) =>
  reply.code(refusal.status).headers(refusal.headers).send(JSON.stringify(refusal.body));

export function requireAuth(options: AuthOptions): AuthHook {
  const authenticator = createAuthenticator(options);
  return async (request, reply) => {
    const outcome = await authenticator.authenticate(request.headers.authorization);
    if (!outcome.ok) return send(reply, outcome.refusal);
    principals.set(request, outcome.principal);
    return undefined;
  };
}

/** After requireAuth: 403 insufficient_scope unless the principal holds every one of `scopes`. */
export function requireScope(...scopes: string[]): AuthHook {
  return async (request, reply) => {
    const refusal = scopeRefusal(principals.get(request), scopes);
    return refusal ? send(reply, refusal) : undefined;
  };
}
