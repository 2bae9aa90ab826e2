import { instrument, OTLPExporter, type TraceConfig } from "@microlabs/otel-cf-workers";
import type { ExportResult } from "@opentelemetry/core";
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace-base";
import type { Config } from "../../config.js";
import { otlpTracesUrl } from "./otlp-url.js";

/**
 * otel-cf-workers records the incoming request's full URL on its fetch span
 * (`url.full`, `url.query`), and a query here can carry an OAuth `code` and
 * `state` or SAML parameters. Spans leave with the query cut off.
 * (Its `postProcessor` option is parsed but never applied in 1.0.0-rc.52.)
 */
function withoutQuery(span: ReadableSpan): ReadableSpan {
  const { attributes } = span;
  const full = attributes["url.full"];
  const hasQuery = typeof full === "string" && full.includes("?");
  if (attributes["url.query"] === undefined && !hasQuery) return span;
  const redacted = { ...attributes };
  delete redacted["url.query"];
  if (hasQuery) redacted["url.full"] = full.slice(0, full.indexOf("?"));
  // A view of the span with other attributes; everything else reads through to it.
  return Object.create(span, { attributes: { value: redacted, enumerable: true } }) as ReadableSpan;
}

class QueryRedactingExporter implements SpanExporter {
  constructor(private readonly inner: SpanExporter) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.inner.export(spans.map(withoutQuery), done);
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}

/**
 * The otel-cf-workers configuration, or undefined without
 * OTEL_EXPORTER_OTLP_ENDPOINT. Global fetch and cache are not instrumented:
 * the service's own spans (db, redis, calls to identity providers) are the
 * same on both runtimes, and a Neon or Upstash request would only repeat the
 * `db`/`redis` span around it.
 */
export function workerTraceConfig(
  config: Pick<Config, "OTEL_EXPORTER_OTLP_ENDPOINT" | "OTEL_SERVICE_NAME" | "OTEL_EXPORTER_OTLP_HEADERS">,
): TraceConfig | undefined {
  if (!config.OTEL_EXPORTER_OTLP_ENDPOINT) return undefined;
  return {
    service: { name: config.OTEL_SERVICE_NAME },
    exporter: new QueryRedactingExporter(
      new OTLPExporter({
        url: otlpTracesUrl(config.OTEL_EXPORTER_OTLP_ENDPOINT),
        headers: config.OTEL_EXPORTER_OTLP_HEADERS,
      }),
    ),
    instrumentation: { instrumentGlobalFetch: false, instrumentGlobalCache: false },
  };
}

/**
 * The handler under otel-cf-workers: a SERVER span per request (continuing an
 * incoming traceparent) and per cron run, exported through waitUntil once the
 * handler and its waitUntil work are done.
 */
export function instrumentWorker(
  handler: ExportedHandler<Record<string, unknown>>,
  traceConfig: TraceConfig,
): ExportedHandler<Record<string, unknown>> {
  return instrument(handler, traceConfig);
}
