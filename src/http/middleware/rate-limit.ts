import type { Context, MiddlewareHandler, Next } from "hono";
import { ipBucket } from "../../core/net/ip.js";
import type { GcraDecision } from "../../core/rate-limit/gcra.js";
import { type Limit, type LimitName, limitForRoute, limitsOf } from "../../core/rate-limit/limits.js";
import { rateLimitedError, unavailableError } from "../../core/rate-limit/rate-limit-errors.js";
import type { AppEnv } from "../context.js";
import { routePattern } from "../route-pattern.js";

/**
 * Without Redis the limiter cannot count. Credential-checking routes are then
 * refused (503) rather than opened to unlimited guessing; everything else,
 * reads above all, is served unlimited (docs/guides/rate-limits.md).
 */
const FAIL_CLOSED: ReadonlySet<LimitName> = new Set(["login", "signup", "mail"]);

/**
 * RateLimit-* fields of draft-ietf-httpapi-ratelimit-headers (draft-07
 * syntax, what most clients read): the quota, what is left of it, seconds
 * until it is whole again, and the policy as `limit;w=window`.
 */
export function rateLimitHeaders({ limit, windowSeconds }: Limit, decision: GcraDecision): Record<string, string> {
  return {
    "RateLimit-Limit": String(limit),
    "RateLimit-Remaining": String(decision.remaining),
    "RateLimit-Reset": String(Math.ceil(decision.resetMs / 1000)),
    "RateLimit-Policy": `${limit};w=${windowSeconds}`,
  };
}

/**
 * Per-client limits, keyed by tenant, limit and client network (IPv4
 * address / IPv6 /64). A refused request never reaches tracing or the
 * handler, but the outer layers log and count it with its request id, and
 * its refusal is counted here (rate_limit_rejections_total).
 */
export function rateLimit(): MiddlewareHandler<AppEnv> {
  // Not async for unlimited routes (probes, scrapes): an async layer costs them its promises.
  return (c, next) => {
    const name = limitForRoute(c.req.method, routePattern(c));
    return name ? limited(c, next, name) : next();
  };
}

async function limited(c: Context<AppEnv>, next: Next, name: LimitName): Promise<void> {
  const { limiter, clientIp, metrics } = c.get("services");
  const tenant = c.get("tenant");
  const limit = limitsOf(tenant)[name];
  const decision = await limiter.decide(name, `rl:${tenant?.id ?? "-"}:${name}:${ipBucket(clientIp(c))}`, limit);
  if (!decision) {
    if (FAIL_CLOSED.has(name)) throw unavailableError("The rate limiter cannot be reached; try again shortly.");
    return next();
  }
  const headers = rateLimitHeaders(limit, decision);
  if (!decision.allowed) {
    metrics.increment("rate_limit_rejections_total", { limit: name, scope: "ip" });
    // Thrown, so the one error handler answers (problem+json, or a page at a hosted page).
    throw rateLimitedError(decision.retryAfterMs, undefined, headers);
  }
  await next();
  for (const [field, value] of Object.entries(headers)) c.res.headers.set(field, value);
}
