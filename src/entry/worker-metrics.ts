import { OtlpMetrics } from "../adapters/telemetry/otlp-metrics.js";
import type { Config } from "../config.js";
import type { Logger } from "../core/ports/logger.js";

/**
 * Workers: the isolate's OTLP metrics, when OTEL_EXPORTER_OTLP_ENDPOINT is
 * set (otherwise none: the Worker does nothing extra). Kept per isolate, not
 * per app build, so a rebuilt app keeps counting into the same cumulative
 * series and the export interval keeps running; a changed endpoint, service
 * name, headers or interval starts a new aggregator.
 */
let current: { key: string; metrics: OtlpMetrics } | undefined;

export function isolateMetrics(config: Config, logger: Logger): OtlpMetrics | undefined {
  const endpoint = config.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!endpoint) return undefined;
  const { OTEL_SERVICE_NAME: serviceName, OTEL_EXPORTER_OTLP_HEADERS: headers } = config;
  const key = JSON.stringify([endpoint, serviceName, headers, config.OTEL_METRICS_EXPORT_INTERVAL]);
  if (current?.key !== key) {
    const metrics = new OtlpMetrics({
      endpoint,
      serviceName,
      headers,
      intervalMs: config.OTEL_METRICS_EXPORT_INTERVAL,
      logger,
    });
    current = { key, metrics };
  }
  return current.metrics;
}

/** After a response: hands a due export to waitUntil, so it neither delays the client nor is cut off. */
export function flushMetricsIfDue(metrics: OtlpMetrics | undefined, ctx: ExecutionContext): void {
  const flush = metrics?.flushIfDue();
  if (flush) ctx.waitUntil(flush);
}
