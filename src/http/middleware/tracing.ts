import type { MiddlewareHandler } from "hono";
import type { Tracer } from "../../core/ports/telemetry.js";
import type { AppEnv } from "../context.js";
import { routePattern } from "../route-pattern.js";

/** The request's server span: a child of the caller's traceparent when one came, with tenant and route. */
export function tracing(tracer: Tracer): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const route = routePattern(c);
    await tracer.span(
      `${c.req.method} ${route}`,
      { "http.request.method": c.req.method, "http.route": route, "authority.tenant": c.var.tenant?.slug },
      async () => {
        await next();
      },
    );
  };
}
