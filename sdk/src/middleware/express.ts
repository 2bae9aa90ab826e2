/**
 * Express-style middleware (`@authority/sdk/express`) for Express, Connect,
 * Polka and plain `node:http`: `(req, res, next)`. `requireAuth()` sets
 * `req.auth`; `requireScope()` answers 403 unless it holds the scopes. Only
 * structural types are used, so neither express nor @types/express is needed.
 */
import { type AuthOptions, createAuthenticator, scopeRefusal } from "./authenticate.js";
import type { Refusal } from "./challenge.js";
import type { AuthPrincipal } from "./principal.js";

export type { AuthOptions } from "./authenticate.js";
export type { AccessTokenPrincipal, ApiKeyPrincipal, AuthPrincipal } from "./principal.js";

export interface NodeStyleRequest {
  headers: Record<string, string | string[] | undefined>;
  auth?: AuthPrincipal;
}

export interface NodeStyleResponse {
  statusCode: number;
  setHeader(name: string, value: string): unknown;
  end(body?: string): unknown;
  headersSent?: boolean;
}

export type NextFunction = (error?: unknown) => void;
export type NodeStyleMiddleware = (req: NodeStyleRequest, res: NodeStyleResponse, next: NextFunction) => void;

declare global {
  // Express's own augmentation point: `req.auth` is typed in Express handlers too.
  namespace Express {
    interface Request {
      auth?: AuthPrincipal;
    }
  }
}

function send(res: NodeStyleResponse, refusal: Refusal): void {
  if (res.headersSent) return;
  res.statusCode = refusal.status;
  for (const [name, value] of Object.entries(refusal.headers)) res.setHeader(name, value);
  res.end(JSON.stringify(refusal.body));
}

export function requireAuth(options: AuthOptions): NodeStyleMiddleware {
  const authenticator = createAuthenticator(options);
  return (req, res, next) => {
    // Node joins repeated headers itself; an array would only come from a hand-made request.
    const header = req.headers.authorization;
    const value = Array.isArray(header) ? undefined : header;
    authenticator.authenticate(value).then(
      (outcome) => {
        if (!outcome.ok) return send(res, outcome.refusal);
        req.auth = outcome.principal;
        next();
      },
      (error: unknown) => next(error),
    );
  };
}

/** After `requireAuth`: 403 insufficient_scope unless `req.auth` holds every one of `scopes`. */
export function requireScope(...scopes: string[]): NodeStyleMiddleware {
  return (req, res, next) => {
    const refusal = scopeRefusal(req.auth, scopes);
    if (refusal) return send(res, refusal);
    next();
  };
}
