import { createMiddleware } from "hono/factory";
import type { StepUpPurpose } from "../../core/mfa/step-up.js";
import type { AppEnv } from "../context.js";
import { tokenUser } from "./bearer.js";

/**
 * After requireAccessToken: 403 `step_up_required` unless the caller recently
 * completed their second factor, or has none and the tenant's MFA policy does
 * not bind them (StepUp).
 */
export const requireStepUp = (purpose: StepUpPurpose = "change") =>
  createMiddleware<AppEnv>(async (c, next) => {
    await c.get("services").stepUp.require(c.get("tenant"), await tokenUser(c), c.get("auth"), purpose);
    await next();
  });
