import type { Context } from "hono";
import { errorFields } from "../core/logging/error-fields.js";
import type { AppEnv } from "./context.js";

/**
 * The runtime's waitUntil (Workers), or undefined (Node: the process
 * outlives the request). Hono's getter throws where there is no execution
 * context; asked once or twice per request, that error skips its stack trace.
 */
function waitUntilOf(c: Context<AppEnv>): ((task: Promise<unknown>) => void) | undefined {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    const ctx = c.executionCtx;
    return (task) => ctx.waitUntil(task);
  } catch {
    return undefined;
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/**
 * Runs `task` after the response: on Workers through waitUntil (the isolate
 * stays alive for it), on Node tracked until shutdown. A failure is logged,
 * never thrown at the client, who already has an answer. The runner keeps
 * what it needs, not the request's context (it may outlive the request).
 */
export function inBackground(c: Context<AppEnv>) {
  const { logger, background } = c.get("services");
  const requestId = c.get("requestId");
  const waitUntil = waitUntilOf(c);
  return (task: Promise<unknown>) => {
    const guarded = task.catch((error: unknown) =>
      logger.error("background_task_failed", { request_id: requestId, ...errorFields(error) }),
    );
    background.track(guarded);
    waitUntil?.(guarded);
  };
}
