import type { MiddlewareHandler } from "hono";
import type { Random } from "../../core/ports/clock.js";

const WELL_FORMED = /^[A-Za-z0-9._-]{1,128}$/;

/** Echoes a well-formed X-Request-Id, otherwise makes one (API.md, Conventions). */
export function requestId(random: Random): MiddlewareHandler {
  return async (c, next) => {
    const offered = c.req.header("x-request-id");
    const id = offered && WELL_FORMED.test(offered) ? offered : random.uuid();
    c.set("requestId", id);
    await next();
    c.res.headers.set("X-Request-Id", id);
  };
}
