import type { MiddlewareHandler } from "hono";
import { ipBucket } from "../../core/net/ip.js";
import { TENANT_LOOKUP_LIMIT } from "../../core/rate-limit/limits.js";
import { rateLimitedError } from "../../core/rate-limit/rate-limit-errors.js";
import type { AppEnv } from "../context.js";
import { rateLimitHeaders } from "./rate-limit.js";

/**
 * Resolves `/t/{tenant}` for every route under it, before route matching, so
 * any path under an unknown tenant answers 404 `tenant_not_found`. Lookups
 * that miss the cache are limited per client network before the database is
 * asked (random slugs would otherwise cost a query each, with no tenant
 * limit to stop them); known tenants, served from the cache, add no Redis call.
 * Without Redis, lookups go unlimited (as reads do).
 */
export function resolveTenant(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const { tenants, limiter, clientIp, metrics } = c.get("services");
    const limitLookup = async () => {
      const key = `rl:-:tenant_lookup:${ipBucket(clientIp(c))}`;
      const decision = await limiter.decide("tenant_lookup", key, TENANT_LOOKUP_LIMIT);
      if (!decision || decision.allowed) return;
      metrics.increment("rate_limit_rejections_total", { limit: "tenant_lookup", scope: "ip" });
      throw rateLimitedError(decision.retryAfterMs, undefined, rateLimitHeaders(TENANT_LOOKUP_LIMIT, decision));
    };
    c.set("tenant", await tenants.require(c.req.param("tenant") ?? "", limitLookup));
    await next();
  };
}
