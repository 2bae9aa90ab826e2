import type { AuditActorType, AuditEventRecord } from "../core/ports/database.js";
import type { LogFields, Logger } from "../core/ports/logger.js";

/**
 * What identifies the request being served. It is handed on explicitly (the
 * request's services log and call upstream with it, see service-graph.ts),
 * not carried by AsyncLocalStorage, whose hooks on Node 20 cost every promise
 * of every request.
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
  /** The clock's time (ms) when the request reached the app: work that must not start late measures its wait from it. */
  arrivedAt?: number;
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
  /** False once the client has gone (where the runtime can tell, see AppDeps.clientPresence). */
  wanted?: () => boolean;
}

interface AuditActor {
  type: AuditActorType;
  id: string | null;
}

/** Records who the request acts as (an API key, the bootstrap key, a user's access token). */
export function actAs(scope: RequestScope, actor: AuditActor): void {
  scope.actor = actor;
}

/** Records who the request acts for, once a route has learnt it (logins, refreshes). */
export function identifyRequest(scope: RequestScope, userId: string | undefined, sessionId?: string): void {
  if (userId) scope.userId = userId;
  if (sessionId) scope.sessionId = sessionId;
}

/** Every line the request's services write carries its request id and trace id. */
export function withRequestScope(logger: Logger, scope: RequestScope): Logger {
  const scoped = (fields: LogFields | undefined): LogFields => ({
    request_id: scope.requestId,
    trace_id: scope.traceId,
    ...fields,
  });
  return {
    info: (event, fields) => logger.info(event, scoped(fields)),
    warn: (event, fields) => logger.warn(event, scoped(fields)),
    error: (event, fields) => logger.error(event, scoped(fields)),
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
export function correlatedFetch(base: typeof fetch, scope: RequestScope): typeof fetch {
  return (input, init) => {
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
    if (!headers.has("x-request-id")) headers.set("X-Request-Id", scope.requestId);
    if (!headers.has("traceparent")) headers.set("traceparent", outgoingTraceparent(scope));
    return base(input, { ...init, headers });
  };
}
