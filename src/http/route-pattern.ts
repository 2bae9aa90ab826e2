import type { Context } from "hono";
import { matchedRoutes } from "hono/route";

/**
 * The route pattern a request matched (`/t/:tenant/v1/login`), for log lines,
 * metric labels and span names: bounded cardinality, no ids or slugs. Known
 * before the handler runs, because Hono matches every handler at once.
 * Requests that match no route are `unmatched`.
 * Kept on the context (every layer asks, and each answer would map every
 * matched route) rather than in a WeakMap keyed by it: a WeakMap entry per
 * request costs V8 an ephemeron write barrier and a pass in every scavenge.
 */
export function routePattern(c: Context): string {
  let pattern: string | undefined = c.get("routePattern");
  if (pattern === undefined) {
    const routes = matchedRoutes(c);
    const last = routes[routes.length - 1];
    pattern = last && last.method !== "ALL" ? last.path : "unmatched";
    c.set("routePattern", pattern);
  }
  return pattern;
}
