import type { Context } from "hono";
import { matchedRoutes } from "hono/route";

/**
 * The route pattern a request matched (`/t/:tenant/v1/login`), for log lines,
 * metric labels and span names: bounded cardinality, no ids or slugs. Known
 * before the handler runs, because Hono matches every handler at once.
 * Requests that match no route are `unmatched`.
 */
export function routePattern(c: Context): string {
  const routes = matchedRoutes(c);
  const last = routes[routes.length - 1];
  return last && last.method !== "ALL" ? last.path : "unmatched";
}
