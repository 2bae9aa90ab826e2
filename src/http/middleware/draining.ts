import type { MiddlewareHandler } from "hono";
import type { Lifecycle } from "../context.js";

/**
 * While the process drains (SIGTERM on Node), every response asks the client
 * to close its connection (RFC 9112 §9.6), so keep-alive clients reconnect to
 * another replica instead of holding this one open until it exits.
 */
export function closeWhenDraining(lifecycle: Lifecycle | undefined): MiddlewareHandler {
  return async (c, next) => {
    await next();
    if (lifecycle?.draining) c.res.headers.set("Connection", "close");
  };
}
