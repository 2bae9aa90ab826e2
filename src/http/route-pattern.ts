import type { Context } from "hono";
import { matchedRoutes } from "hono/route";

/** Per request: every layer asks (log line, limiter, span, metrics), and each answer would map every matched route. */
const patterns = new WeakMap<Context, string>();

/**
 * The route pattern a request matched (`/t/:tenant/v1/login`), for log lines,
 * metric labels and span names: bounded cardinality, no ids or slugs. Known
 * before the handler runs, because Hono matches every handler at once.
 * Requests that match no route are `unmatched`.
 */
export function routePattern(c: Context): string {
  let pattern = patterns.get(c);
  if (pattern === undefined) {
    const routes = matchedRoutes(c);
    const last = routes[routes.length - 1];
    pattern = last && last.method !== "ALL" ? last.path : "unmatched";
    patterns.set(c, pattern);
  }
  return pattern;
}
