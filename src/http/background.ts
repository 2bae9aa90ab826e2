import type { Context } from "hono";
import { errorFields } from "../core/logging/error-fields.js";
import type { AppEnv } from "./context.js";

/**
 * Runs `task` after the response: on Workers through waitUntil (the isolate
 * stays alive for it), on Node tracked until shutdown. A failure is logged,
 * never thrown at the client, who already has an answer. The runner keeps
 * what it needs, not the request's context (it may outlive the request).
 */
export function inBackground(c: Context<AppEnv>) {
  const { logger, background, waitUntil } = c.get("services");
  const requestId = c.get("requestId");
  const ctx = waitUntil ? c.executionCtx : undefined;
  return (task: Promise<unknown>) => {
    const guarded = task.catch((error: unknown) =>
      logger.error("background_task_failed", { request_id: requestId, ...errorFields(error) }),
    );
    background.track(guarded);
    ctx?.waitUntil(guarded);
  };
}
