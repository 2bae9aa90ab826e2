import type { MiddlewareHandler } from "hono";
import { ipBucket } from "../../core/net/ip.js";
import { type GcraDecision, gcra } from "../../core/rate-limit/gcra.js";
import { type LimitName, limitForRoute, limitsOf } from "../../core/rate-limit/limits.js";
import { rateLimitedError, unavailableError } from "../../core/rate-limit/rate-limit-errors.js";
import type { AppEnv } from "../context.js";
import { problemResponse } from "../problem.js";
import { routePattern } from "../route-pattern.js";
import { recordRequest } from "./request-metrics.js";

/**
 * Without Redis the limiter cannot count. Credential-checking routes are then
 * refused (503) rather than opened to unlimited guessing; everything else,
 * reads above all, is served unlimited (README, "Rate limits").
 */
const FAIL_CLOSED: ReadonlySet<LimitName> = new Set(["login", "signup"]);
/** How long decisions are skipped (fail open / closed at once) after Redis failed to answer one. */
const CIRCUIT_OPEN_MS = 5_000;

/**
 * RateLimit-* fields of draft-ietf-httpapi-ratelimit-headers (draft-07
 * syntax, what most clients read): the quota, what is left of it, seconds
 * until it is whole again, and the policy as `limit;w=window`.
 */
function rateLimitHeaders(limit: number, windowSeconds: number, decision: GcraDecision): Record<string, string> {
  return {
    "RateLimit-Limit": String(limit),
    "RateLimit-Remaining": String(decision.remaining),
    "RateLimit-Reset": String(Math.ceil(decision.resetMs / 1000)),
    "RateLimit-Policy": `${limit};w=${windowSeconds}`,
  };
}

/**
 * Per-client limits, one atomic Redis script per decision, keyed by tenant,
 * limit and client network (IPv4 address / IPv6 /64). A refused request
 * never reaches tracing or the handler, but the outer layers log it with its
 * request id, and it is counted here.
 */
export function rateLimit(): MiddlewareHandler<AppEnv> {
  // A circuit breaker: after a failed decision, requests stop waiting on Redis
  // (each failed call takes the client's connect timeout) for CIRCUIT_OPEN_MS,
  // then one request tries again. One error line per opening, with the count
  // of decisions skipped while it was open.
  let openUntil = Number.NEGATIVE_INFINITY;
  let skipped = 0;
  return async (c, next) => {
    const pattern = routePattern(c);
    const name = limitForRoute(c.req.method, pattern);
    if (!name) return next();
    const started = performance.now();
    const { kv, clock, clientIp, logger, metrics } = c.var.services;
    const tenant = c.get("tenant");
    const { limit, windowSeconds } = limitsOf(tenant)[name];
    const key = `rl:${tenant?.id ?? "-"}:${name}:${ipBucket(clientIp(c))}`;
    let decision: GcraDecision | undefined;
    if (clock.now().getTime() < openUntil) {
      skipped++;
    } else {
      try {
        decision = await kv.run(gcra, [key], [clock.now().getTime(), windowSeconds * 1000, limit]);
      } catch (error) {
        openUntil = clock.now().getTime() + CIRCUIT_OPEN_MS;
        logger.error("rate_limiter_unavailable", { limit: name, error: (error as Error).name, skipped });
        skipped = 0;
      }
    }
    if (!decision) {
      if (FAIL_CLOSED.has(name)) throw unavailableError("The rate limiter cannot be reached; try again shortly.");
      return next();
    }
    const headers = rateLimitHeaders(limit, windowSeconds, decision);
    if (!decision.allowed) {
      metrics.increment("rate_limit_rejections_total", { limit: name, scope: "ip" });
      const response = problemResponse(rateLimitedError(decision.retryAfterMs, undefined, headers));
      recordRequest(metrics, c, response.status, (performance.now() - started) / 1000);
      return response;
    }
    await next();
    for (const [field, value] of Object.entries(headers)) c.res.headers.set(field, value);
  };
}
