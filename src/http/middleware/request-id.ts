import type { Context } from "hono";
import { toHex } from "../../core/crypto/encoding.js";
import type { Random } from "../../core/ports/clock.js";
import type { AppEnv } from "../context.js";
import type { RequestScope } from "../request-scope.js";

const WELL_FORMED = /^[A-Za-z0-9._-]{1,128}$/;

/** A well-formed offered X-Request-Id, otherwise a new one (API.md, Conventions). */
export function requestIdFor(offered: string | null | undefined, random: Random): string {
  return offered && WELL_FORMED.test(offered) ? offered : random.uuid();
}

// W3C Trace Context §3.2.2: version 00 is exactly this; a later version may
// append fields after the flags, which this version must ignore.
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

export interface TraceParent {
  traceId: string;
  parentId: string;
  flags: string;
}

/** A valid incoming traceparent, or undefined (then this service starts a new trace). */
export function parseTraceparent(header: string | null | undefined): TraceParent | undefined {
  const match = header ? TRACEPARENT.exec(header.trim()) : null;
  if (!match) return undefined;
  const [, version, traceId, parentId, flags, rest] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
    string?,
  ];
  if (version === "ff" || (version === "00" && rest !== undefined)) return undefined;
  if (/^0+$/.test(traceId) || /^0+$/.test(parentId)) return undefined; // all-zero ids are invalid (§3.2.2.3-4)
  return { traceId, parentId, flags };
}

/**
 * Correlation, first thing in the outermost layer (see app.ts): the request
 * id (echoed when well formed) and the trace (continued from a valid
 * traceparent, else new) hold for the whole request, its log lines, spans and
 * outgoing calls (run it in the returned scope), and go back on the response
 * as X-Request-Id and traceresponse (see correlationHeaders).
 */
export function correlate(c: Context<AppEnv>, random: Random): RequestScope {
  const requestId = requestIdFor(c.req.header("x-request-id"), random);
  const parent = parseTraceparent(c.req.header("traceparent"));
  // One draw for both ids: the trace's (unless continued) and this service's span.
  const ids = toHex(random.bytes(parent ? 8 : 24));
  const scope: RequestScope = {
    requestId,
    traceId: parent?.traceId ?? ids.slice(16),
    spanId: ids.slice(0, 16),
    traceFlags: parent?.flags ?? "01",
    remoteParentId: parent?.parentId,
  };
  c.set("requestId", requestId);
  c.set("scope", scope);
  return scope;
}

/** X-Request-Id and traceresponse (W3C Trace Context Level 2) of the request's response. */
export function correlationHeaders(scope: RequestScope): Record<string, string> {
  return {
    "x-request-id": scope.requestId,
    traceresponse: `00-${scope.traceId}-${scope.spanId}-${scope.traceFlags}`,
  };
}
