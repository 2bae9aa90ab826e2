import type { Context } from "hono";
import { type Logger, logRequest } from "../../core/ports/logger.js";
import type { Metrics } from "../../core/ports/telemetry.js";
import type { AppEnv } from "../context.js";
import { routePattern } from "../route-pattern.js";

/**
 * Per request, once its response is known (so requests refused by inner
 * layers, an unknown tenant, the rate limiter's 429s, errors, are in too;
 * the outermost layer calls it, see app.ts):
 * one JSON log line, and the request's count and duration per route pattern
 * (`http_requests_total`, `http_request_duration_seconds`: bounded
 * cardinality). One layer for both, since both time the same span. The
 * request and trace ids come from the request scope (as withRequestScope's);
 * nothing from headers or bodies is written, so no secret can leak here.
 */
export function requestTelemetry(logger: Logger, metrics: Metrics): (c: Context<AppEnv>, elapsedMs: number) => void {
  return (c, elapsedMs) => {
    const status = c.res.status;
    const method = c.req.method;
    const route = routePattern(c);
    metrics.increment("http_requests_total", { method, route, status: String(status) });
    metrics.observe("http_request_duration_seconds", elapsedMs / 1000, { method, route });
    const scope = c.get("scope");
    const auth = c.get("auth");
    // A request shed because its client had gone (its password hash abandoned) failed nobody: a warning, not an error.
    const level = status < 500 ? "info" : status === 503 && scope?.wanted?.() === false ? "warn" : "error";
    // The ids withRequestScope would add (the same scope: the outermost layer runs this in it).
    logRequest(logger, level, {
      request_id: scope?.requestId,
      trace_id: scope?.traceId,
      method,
      route,
      status,
      duration_ms: Math.round(elapsedMs * 100) / 100,
      tenant: c.get("tenant")?.slug,
      user_id: auth?.sub ?? scope?.userId,
      session_id: auth?.sid ?? scope?.sessionId,
    });
  };
}
