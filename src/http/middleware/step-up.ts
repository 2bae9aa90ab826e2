import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../context.js";

/** After requireAccessToken: 403 `step_up_required` unless the caller recently completed their second factor (StepUp). */
export const requireStepUp = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    await c.get("services").stepUp.require(c.get("tenant"), c.get("auth"));
    await next();
  });
