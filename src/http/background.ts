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
  const services = c.get("services");
  const { background, waitUntil } = services;
  const ctx = waitUntil ? c.executionCtx : undefined;
  return (task: Promise<unknown>) => {
    // The request's logger (its ids on the line), built only when a task fails.
    const guarded = task.catch((error: unknown) => services.logger.error("background_task_failed", errorFields(error)));
    background.track(guarded);
    ctx?.waitUntil(guarded);
  };
}
