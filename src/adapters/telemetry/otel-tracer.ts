import {
  type Attributes,
  type Context,
  context,
  type Tracer as OtelTracer,
  propagation,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from "@opentelemetry/api";
import {
  noopSpan,
  type SpanAttributes,
  type SpanHandle,
  type SpanOptions,
  type Tracer,
} from "../../core/ports/telemetry.js";

/** The instrumentation scope name of every span the service itself opens. */
export const TRACER_NAME = "authority";

const KINDS = { internal: SpanKind.INTERNAL, server: SpanKind.SERVER, client: SpanKind.CLIENT } as const;

function defined(attributes: SpanAttributes): Attributes {
  const out: Attributes = {};
  for (const [key, value] of Object.entries(attributes)) if (value !== undefined) out[key] = value;
  return out;
}

/**
 * Error recording by type only: `recordException` would export the message
 * and stack, and messages here can quote user input (OTel semantic
 * conventions: `error.type`, and the `exception` event with `exception.type`).
 */
function fail(span: Span, error?: unknown): void {
  span.setStatus({ code: SpanStatusCode.ERROR });
  if (error === undefined) return;
  const type = error instanceof Error ? error.name : typeof error;
  span.setAttribute("error.type", type);
  span.addEvent("exception", { "exception.type": type });
}

function handleOf(span: Span, spanContext: Context): SpanHandle {
  const ids = span.spanContext();
  return {
    ids: trace.isSpanContextValid(ids)
      ? { traceId: ids.traceId, spanId: ids.spanId, traceFlags: ids.traceFlags.toString(16).padStart(2, "0") }
      : undefined,
    setAttributes: (attributes) => span.setAttributes(defined(attributes)),
    fail: (error) => fail(span, error),
    propagationHeaders() {
      const headers: Record<string, string> = {};
      propagation.inject(spanContext, headers); // nothing for an invalid span context
      return headers;
    },
  };
}

/**
 * The Tracer port over @opentelemetry/api, the same on both runtimes: the
 * provider, context manager and propagator are whatever the runtime
 * registered globally (otel-node.ts on Node, otel-cf-workers on Workers).
 */
export function createOtelTracer(tracer: OtelTracer = trace.getTracer(TRACER_NAME)): Tracer {
  return {
    async span(name, attributes, fn, options: SpanOptions = {}) {
      const kind = options.kind ?? "internal";
      const active = context.active();
      const parent = trace.getSpan(active);
      let parentContext: Context;
      let spanKind: SpanKind;
      if (parent) {
        parentContext = active;
        // The runtime's own request span (otel-cf-workers' fetch span) is the
        // SERVER span; ours nests under it and lends it the route, which
        // otel-cf-workers uses to name it `{method} {http.route}`.
        spanKind = kind === "server" ? SpanKind.INTERNAL : KINDS[kind];
        if (kind === "server" && typeof attributes["http.route"] === "string") {
          parent.setAttribute("http.route", attributes["http.route"]);
        }
      } else if (kind === "server") {
        // The active context holds no span here but may hold other values (otel-cf-workers keeps its config there).
        parentContext = options.remoteParent ? propagation.extract(active, options.remoteParent) : active;
        spanKind = SpanKind.SERVER;
      } else {
        return fn(noopSpan); // no trace to belong to (start-up, timers)
      }
      const span = tracer.startSpan(name, { kind: spanKind, attributes: defined(attributes) }, parentContext);
      const spanContext = trace.setSpan(parentContext, span);
      return context.with(spanContext, async () => {
        try {
          return await fn(handleOf(span, spanContext));
        } catch (error) {
          fail(span, error);
          throw error;
        } finally {
          span.end();
        }
      });
    },
    activeTraceId() {
      const ids = trace.getActiveSpan()?.spanContext();
      return ids && trace.isSpanContextValid(ids) ? ids.traceId : undefined;
    },
  };
}
