import { OpenAPIHono } from "@hono/zod-openapi";
import { TenantService } from "../core/tenants.js";
import type { AppDeps, AppEnv, Services } from "./context.js";
import { limitBody } from "./middleware/body.js";
import { requestId } from "./middleware/request-id.js";
import { resolveTenant } from "./middleware/tenant.js";
import { errorHandler, notFoundHandler } from "./problem.js";
import { mountDocs } from "./routes/docs.js";
import { healthRoutes } from "./routes/health.js";
import { tenantRoutes } from "./routes/tenants.js";

export type { AppDeps } from "./context.js";

/**
 * The one Hono app both runtimes serve. Entries choose the adapters; nothing
 * here knows which runtime it runs on.
 */
export function createApp(deps: AppDeps): OpenAPIHono<AppEnv> {
  const services: Services = {
    ...deps,
    tenants: new TenantService(deps.db, deps.clock, deps.random),
  };

  const app = new OpenAPIHono<AppEnv>();
  app.onError(errorHandler(deps.logger));
  app.notFound(notFoundHandler);

  app.use("*", requestId(deps.random));
  app.use("*", async (c, next) => {
    c.set("services", services);
    await next();
  });
  app.use("*", limitBody(deps.config.MAX_BODY_BYTES));
  app.use("/t/:tenant/*", resolveTenant());

  app.route("/", healthRoutes);
  app.route("/", tenantRoutes);
  mountDocs(app, deps.config.PUBLIC_URL);
  return app;
}
