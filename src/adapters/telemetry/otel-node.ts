import { context, propagation, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BasicTracerProvider, BatchSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { ATTR_SERVICE_NAME } from "@opentelemetry/semantic-conventions";
import type { Config } from "../../config.js";
import type { Tracer } from "../../core/ports/telemetry.js";
import { createOtelTracer, TRACER_NAME } from "./otel-tracer.js";
import { otlpTracesUrl } from "./otlp-url.js";

export interface NodeTracing {
  tracer: Tracer;
  /** Exports every ended span now (tests; the batch processor otherwise waits up to 5 s). */
  flush(): Promise<void>;
  /** Exports what is left and stops: the last step of graceful shutdown. */
  shutdown(): Promise<void>;
}

/**
 * The OpenTelemetry SDK for the Node runtime: spans batched and exported as
 * OTLP/HTTP JSON, AsyncLocalStorage context, W3C Trace Context propagation.
 * Nothing is started (and `undefined` returned) without
 * OTEL_EXPORTER_OTLP_ENDPOINT: no provider, no cost.
 *
 * The provider, context manager and propagator are registered globally, as
 * the API expects, so this runs once per process.
 */
export function startNodeTracing(
  config: Pick<Config, "OTEL_EXPORTER_OTLP_ENDPOINT" | "OTEL_SERVICE_NAME" | "OTEL_EXPORTER_OTLP_HEADERS">,
): NodeTracing | undefined {
  if (!config.OTEL_EXPORTER_OTLP_ENDPOINT) return undefined;
  const exporter = new OTLPTraceExporter({
    url: otlpTracesUrl(config.OTEL_EXPORTER_OTLP_ENDPOINT),
    headers: config.OTEL_EXPORTER_OTLP_HEADERS,
  });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.OTEL_SERVICE_NAME }),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  return {
    tracer: createOtelTracer(provider.getTracer(TRACER_NAME)),
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}
