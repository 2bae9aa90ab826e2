import type { MiddlewareHandler } from "hono";
import type { Logger } from "../../core/ports/logger.js";
import type { AppEnv } from "../context.js";
import { routePattern } from "../route-pattern.js";

/**
 * One JSON line per request, written after the response is known, so
 * requests refused by inner layers (rate limiting, errors) are logged too.
 * The request and trace ids come from the request scope (see withRequestScope);
 * nothing from headers or bodies is written, so no secret can leak through here.
 */
export function requestLog(logger: Logger): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    await next();
    const status = c.res.status;
    const scope = c.get("scope");
    const fields = {
      method: c.req.method,
      route: routePattern(c),
      status,
      duration_ms: Math.round((performance.now() - started) * 100) / 100,
      tenant: c.get("tenant")?.slug,
      user_id: c.get("auth")?.sub ?? scope?.userId,
      session_id: c.get("auth")?.sid ?? scope?.sessionId,
    };
    if (status >= 500) logger.error("request", fields);
    else logger.info("request", fields);
  };
}
