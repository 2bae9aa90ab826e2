import type { Context } from "hono";
import type { AppEnv } from "../context.js";
import type { RequestScope } from "../request-scope.js";
import { correlationHeaders } from "./request-id.js";
import { SECURITY_HEADERS } from "./security-headers.js";

// With the correlation headers' names already: V8 (Node 20) copies a spread object's layout at
// once, but every name the copy then gains costs it about half a microsecond.
const EVERY_RESPONSE = {
  ...SECURITY_HEADERS,
  ...correlationHeaders({ requestId: "", traceId: "", spanId: "", traceFlags: "" }),
};

/**
 * What the outermost layer puts on every response, errors and 429s included,
 * all known before the route answers: the security headers, X-Request-Id and
 * traceresponse, and while the process drains (SIGTERM on Node) `Connection:
 * close` (RFC 9112 §9.6), so keep-alive clients reconnect to another replica.
 */
export function responseHeaders(scope: RequestScope, draining: boolean): Record<string, string> {
  const headers: Record<string, string> = { ...EVERY_RESPONSE, ...correlationHeaders(scope) };
  if (draining) headers.connection = "close";
  return headers;
}

/**
 * Sets them on the route's response, where the runtime did not preset them
 * (AppDeps.presetHeaders): they replace the response's own, except a page's
 * own Content-Security-Policy (ownPolicy).
 */
export function setResponseHeaders(c: Context<AppEnv>, headers: Record<string, string>): void {
  const target = c.res.headers;
  const pagePolicy = c.get("ownPolicy") === true;
  for (const name in headers) {
    if (pagePolicy && name === "content-security-policy" && target.has(name)) continue;
    target.set(name, headers[name] as string);
  }
}
