import { noopTracer, type Tracer } from "../core/ports/telemetry.js";

/**
 * Outgoing calls (to identity providers) as CLIENT spans, whose trace context
 * goes out in the request's headers (W3C traceparent, tracestate), so the
 * provider's spans, if it records any, join this trace. Wrap a
 * correlatedFetch: it adds X-Request-Id and keeps the traceparent set here.
 * Attributes follow the OTel HTTP client conventions, minus the query string
 * (which could carry codes or tokens).
 */
export function tracedFetch(base: typeof fetch, tracer: Tracer): typeof fetch {
  if (tracer === noopTracer) return base;
  return (input, init) => {
    const request = input instanceof Request ? input : undefined;
    const url = new URL(request?.url ?? String(input));
    const method = (init?.method ?? request?.method ?? "GET").toUpperCase();
    return tracer.span(
      method,
      { "http.request.method": method, "server.address": url.hostname, "url.full": `${url.origin}${url.pathname}` },
      async (span) => {
        const headers = new Headers(init?.headers ?? request?.headers);
        for (const [name, value] of Object.entries(span.propagationHeaders())) headers.set(name, value);
        const response = await base(input, { ...init, headers });
        span.setAttributes({ "http.response.status_code": response.status });
        if (response.status >= 500) span.fail();
        return response;
      },
      { kind: "client" },
    );
  };
}
