import {
  type HistogramName,
  type MetricLabels,
  type Metrics,
  noopTracer,
  type SpanAttributes,
  type Tracer,
} from "../ports/telemetry.js";

/** What the port decorators record through. */
export interface Telemetry {
  tracer: Tracer;
  metrics: Metrics;
}

/**
 * Runs `fn` in a span and observes its duration in a histogram (seconds), in
 * one step so spans and latency metrics always describe the same calls. A
 * failed call is observed too: a timeout is latency an operator wants to see.
 */
export function measure<T>(
  telemetry: Telemetry,
  span: { name: string; attributes: SpanAttributes },
  histogram: { name: HistogramName; labels: MetricLabels } | undefined,
  fn: () => Promise<T>,
): Promise<T> {
  const timed = async () => {
    const started = performance.now();
    try {
      return await fn();
    } finally {
      if (histogram) telemetry.metrics.observe(histogram.name, (performance.now() - started) / 1000, histogram.labels);
    }
  };
  // Metrics without tracing (the Node default): no span to open around every Redis and Postgres call.
  return telemetry.tracer === noopTracer ? timed() : telemetry.tracer.span(span.name, span.attributes, timed);
}
