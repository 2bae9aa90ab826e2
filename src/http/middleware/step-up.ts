import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../context.js";

/** After requireAccessToken: 403 `step_up_required` unless the caller recently completed their second factor (StepUp). */
export const requireStepUp = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    await c.var.services.stepUp.require(c.var.tenant, c.var.auth);
    await next();
  });
