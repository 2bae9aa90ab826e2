import type { MiddlewareHandler } from "hono";
import type { Random } from "../../core/ports/clock.js";

const WELL_FORMED = /^[A-Za-z0-9._-]{1,128}$/;

/** A well-formed offered X-Request-Id, otherwise a new one (API.md, Conventions). */
export function requestIdFor(offered: string | null | undefined, random: Random): string {
  return offered && WELL_FORMED.test(offered) ? offered : random.uuid();
}

export function requestId(random: Random): MiddlewareHandler {
  return async (c, next) => {
    const id = requestIdFor(c.req.header("x-request-id"), random);
    c.set("requestId", id);
    await next();
    c.res.headers.set("X-Request-Id", id);
  };
}
