import type { Context, MiddlewareHandler } from "hono";
import type { Metrics } from "../../core/ports/telemetry.js";
import type { AppEnv } from "../context.js";
import { routePattern } from "../route-pattern.js";

/** Counts a finished request and its duration, labelled by route pattern (bounded cardinality). */
export function recordRequest(metrics: Metrics, c: Context, status: number, seconds: number): void {
  const route = routePattern(c);
  metrics.increment("http_requests_total", { method: c.req.method, route, status: String(status) });
  metrics.observe("http_request_duration_seconds", seconds, { method: c.req.method, route });
}

/** Request rate, errors and duration per route (requests refused by the rate limiter are counted there). */
export function requestMetrics(metrics: Metrics): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    await next();
    recordRequest(metrics, c, c.res.status, (performance.now() - started) / 1000);
  };
}
