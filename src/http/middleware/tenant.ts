import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../context.js";

/**
 * Resolves `/t/{tenant}` for every route under it, before route matching, so
 * any path under an unknown tenant answers 404 `tenant_not_found`.
 */
export function resolveTenant(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    c.set("tenant", await c.var.services.tenants.require(c.req.param("tenant") ?? ""));
    await next();
  };
}
