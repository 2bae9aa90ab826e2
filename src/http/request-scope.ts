import { AsyncLocalStorage } from "node:async_hooks";
import type { AuditActorType, AuditEventRecord } from "../core/ports/database.js";
import { type LogFields, type Logger, logRequest } from "../core/ports/logger.js";

/**
 * What identifies the request being served, wherever the code runs for it:
 * log lines, spans and outgoing calls read it without being handed it.
 * AsyncLocalStorage exists on Node and on Workers (nodejs_compat).
 */
export interface RequestScope {
  requestId: string;
  /** W3C trace id (32 lowercase hex): the caller's, the tracer's, or a new one. */
  traceId: string;
  /** This service's span id for the request (16 lowercase hex). */
  spanId: string;
  /** W3C trace flags of the incoming traceparent (sampled unless the caller said otherwise). */
  traceFlags: string;
  /** The caller's span id from a valid incoming traceparent: the remote parent of this request's span. */
  remoteParentId?: string;
  /** Set by the tracing layer, for the attributes of the request's child spans. */
  tenant?: string;
  route?: string;
  /** Set once known, for the request log line. */
  userId?: string;
  sessionId?: string;
  /** Who the request acts as, once authenticated (for its audit entries). */
  actor?: AuditActor;
  /** Audit entries raised while serving the request, written when it ends. */
  audit?: AuditEventRecord[];
  /** Once it is answered: writes an entry the request's background work raised (mail flows). */
  auditLater?: (entry: AuditEventRecord) => void;
}

interface AuditActor {
  type: AuditActorType;
  id: string | null;
}

/** Records who the request acts as (an API key, the bootstrap key, a user's access token). */
export function actAs(actor: AuditActor): void {
  const scope = storage.getStore();
  if (scope) scope.actor = actor;
}

const storage = new AsyncLocalStorage<RequestScope>();

export function currentScope(): RequestScope | undefined {
  return storage.getStore();
}

export function runInScope<T>(scope: RequestScope, fn: () => T): T {
  return storage.run(scope, fn);
}

/** Records who the request acts for, once a route has learnt it (logins, refreshes). */
export function identifyRequest(userId: string | undefined, sessionId?: string): void {
  const scope = storage.getStore();
  if (!scope) return;
  if (userId) scope.userId = userId;
  if (sessionId) scope.sessionId = sessionId;
}

/** Every line written during a request carries its request id and trace id. */
export function withRequestScope(logger: Logger): Logger {
  const scoped = (fields: LogFields | undefined): LogFields | undefined => {
    const scope = storage.getStore();
    return scope ? { request_id: scope.requestId, trace_id: scope.traceId, ...fields } : fields;
  };
  return {
    info: (event, fields) => logger.info(event, scoped(fields)),
    warn: (event, fields) => logger.warn(event, scoped(fields)),
    error: (event, fields) => logger.error(event, scoped(fields)),
    // The request line carries the same ids already (requestTelemetry reads them from the scope).
    request: (level, line) => logRequest(logger, level, line),
  };
}

/** The traceparent header this service sends on its own outgoing calls (W3C Trace Context §3.2). */
export function outgoingTraceparent(scope: RequestScope): string {
  return `00-${scope.traceId}-${scope.spanId}-${scope.traceFlags}`;
}

/**
 * A fetch that carries the request's correlation to upstream services
 * (identity providers): X-Request-Id, and traceparent unless a tracer has
 * already set one for its own client span.
 */
export function correlatedFetch(base: typeof fetch): typeof fetch {
  return (input, init) => {
    const scope = storage.getStore();
    if (!scope) return base(input, init);
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
    if (!headers.has("x-request-id")) headers.set("X-Request-Id", scope.requestId);
    if (!headers.has("traceparent")) headers.set("traceparent", outgoingTraceparent(scope));
    return base(input, { ...init, headers });
  };
}
