import type { MiddlewareHandler } from "hono";
import type { Tracer } from "../../core/ports/telemetry.js";
import type { AppEnv } from "../context.js";
import { outgoingTraceparent, type RequestScope } from "../request-scope.js";
import { routePattern } from "../route-pattern.js";
import { withSpanScope } from "../telemetry.js";

/**
 * The caller's trace context as the correlation layer accepted it: the same
 * traceparent decision for logs and spans. tracestate only travels with a
 * valid traceparent (W3C Trace Context §3.3).
 */
function remoteParent(scope: RequestScope | undefined, tracestate: string | undefined) {
  if (!scope?.remoteParentId) return undefined;
  return {
    traceparent: outgoingTraceparent({ ...scope, spanId: scope.remoteParentId }),
    tracestate,
  };
}

/**
 * The request's span, with the OTel HTTP server attributes (route pattern,
 * never the query) and the tenant. On Node it is the SERVER span, the child
 * of the caller's traceparent or a new root; on Workers it nests under
 * otel-cf-workers' fetch span. Its ids replace the correlation layer's in the
 * request scope, so log lines, the traceresponse header and outgoing calls
 * name the trace that is exported.
 */
export function tracing(tracer: Tracer): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const route = routePattern(c);
    const matched = route !== "unmatched";
    const method = c.req.method;
    const scope = c.get("scope");
    const tenant = c.get("tenant")?.slug;
    await tracer.span(
      // HTTP semantic conventions: `{method} {http.route}`, or the method alone when no route matched.
      matched ? `${method} ${route}` : method,
      {
        "http.request.method": method,
        "http.route": matched ? route : undefined,
        "url.path": c.req.path,
        "authority.tenant": tenant,
      },
      async (span) => {
        if (scope && span.ids) {
          scope.traceId = span.ids.traceId;
          scope.spanId = span.ids.spanId;
          scope.traceFlags = span.ids.traceFlags;
          scope.tenant = tenant;
          scope.route = matched ? route : undefined;
        }
        if (scope) await withSpanScope(scope, next);
        else await next();
        const status = c.res.status;
        span.setAttributes({ "http.response.status_code": status });
        if (status >= 500) span.fail(c.error);
      },
      { kind: "server", remoteParent: remoteParent(scope, c.req.header("tracestate")) },
    );
  };
}
