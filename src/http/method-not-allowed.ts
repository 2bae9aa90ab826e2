import type { Context, Hono } from "hono";
import { TrieRouter } from "hono/router/trie-router";
import { errors } from "../core/errors.js";
import type { AppEnv } from "./context.js";
import { notFoundHandler } from "./problem.js";

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;

/**
 * The app's answer when no route takes a request: 405 with `Allow` when
 * routes take the path by other methods (RFC 9110 §15.5.6), 204 with `Allow`
 * to OPTIONS there (§9.3.7; a CORS preflight is answered before this), else
 * 404. A 405 on a page path is a page, as every error there. The routes are read into a router of their own on the first miss.
 */
export function unmatchedHandler(app: Hono<AppEnv>) {
  let router: TrieRouter<true> | undefined;
  const allowedAt = (path: string): string[] => {
    if (!router) {
      router = new TrieRouter();
      for (const route of app.routes) if (route.method !== "ALL") router.add(route.method, route.path, true);
    }
    const known = router;
    const allowed: string[] = METHODS.filter((method) => known.match(method, path)[0].length > 0);
    return allowed.includes("GET") ? ["GET", "HEAD", ...allowed.slice(1)] : allowed;
  };
  return (c: Context<AppEnv>): Response => {
    const allowed = allowedAt(c.req.path);
    // No route here, or one that took this method and found nothing (its own c.notFound()).
    if (allowed.length === 0 || allowed.includes(c.req.method)) return notFoundHandler();
    if (c.req.method === "OPTIONS") {
      return new Response(null, { status: 204, headers: { Allow: [...allowed, "OPTIONS"].join(", ") } });
    }
    // Thrown, so the error handler answers a page path with a page.
    throw errors.methodNotAllowed(allowed);
  };
}
