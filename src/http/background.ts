import type { Context } from "hono";
import { errorFields } from "../core/logging/error-fields.js";
import type { AppEnv } from "./context.js";

/**
 * Runs `task` after the response: on Workers through waitUntil (the isolate
 * stays alive for it), on Node tracked until shutdown. A failure is logged,
 * never thrown at the client, who already has an answer.
 */
export function inBackground(c: Context<AppEnv>) {
  const { logger, background } = c.get("services");
  return (task: Promise<unknown>) => {
    const guarded = task.catch((error: unknown) =>
      logger.error("background_task_failed", { request_id: c.get("requestId"), ...errorFields(error) }),
    );
    background.track(guarded);
    try {
      c.executionCtx.waitUntil(guarded);
    } catch {
      // Node: there is no execution context; the process outlives the request.
    }
  };
}
