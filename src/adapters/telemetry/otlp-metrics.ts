import type { Counter, Histogram } from "@opentelemetry/api";
import { JsonMetricsSerializer } from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import type { Logger } from "../../core/ports/logger.js";
import type { CounterName, HistogramName, MetricLabels, Metrics } from "../../core/ports/telemetry.js";
import { boundedLabels, COUNTERS, HISTOGRAMS, isCount, isDuration, METRIC_PREFIX } from "./metric-catalogue.js";

/**
 * The Metrics port as OTLP metrics (JSON over HTTP), for Workers: an isolate
 * has no background timers and nothing to scrape, so the OpenTelemetry SDK
 * aggregates in memory (cumulative sums, explicit-bucket histograms) and the
 * entry asks `flushIfDue()` after each response, handing the export to
 * `ctx.waitUntil`. Exports are at least `intervalMs` apart per isolate.
 *
 * The SDK's own OTLP exporters send through node:http, XMLHttpRequest or
 * sendBeacon, none of which workerd has; this posts the SDK's JSON
 * serialization with fetch, as @microlabs/otel-cf-workers does for spans.
 */

export interface OtlpMetricsOptions {
  /** OTEL_EXPORTER_OTLP_ENDPOINT: the base URL; metrics go to `{endpoint}/v1/metrics`. */
  endpoint: string;
  serviceName: string;
  /** OTEL_EXPORTER_OTLP_HEADERS (e.g. a collector's credentials). */
  headers?: Record<string, string>;
  /** The shortest time between two exports. */
  intervalMs: number;
  logger: Logger;
  /** Distinguishes this isolate's cumulative series from every other's (resource `service.instance.id`). */
  instanceId?: string;
  fetch?: typeof fetch;
  now?: () => number;
  /** How long one export may take before it is abandoned. */
  timeoutMs?: number;
}

/** Collects only when asked: the export schedule is driven by requests, not timers. */
class OnDemandReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

/** `{endpoint}/v1/metrics`, per the OTLP exporter specification's signal paths. */
export function metricsUrl(endpoint: string): string {
  return `${endpoint.replace(/\/+$/, "")}/v1/metrics`;
}

export class OtlpMetrics implements Metrics {
  private readonly reader = new OnDemandReader();
  private readonly counters = new Map<CounterName, Counter>();
  private readonly histograms = new Map<HistogramName, Histogram>();
  private readonly url: string;
  private readonly now: () => number;
  private readonly send: typeof fetch;
  private lastExport: number;
  private recorded = false;
  private exporting: Promise<void> | undefined;

  constructor(private readonly options: OtlpMetricsOptions) {
    this.url = metricsUrl(options.endpoint);
    this.now = options.now ?? Date.now;
    this.send = options.fetch ?? ((input, init) => fetch(input, init));
    this.lastExport = this.now();
    const provider = new MeterProvider({
      resource: resourceFromAttributes({
        "service.name": options.serviceName,
        "service.instance.id": options.instanceId ?? crypto.randomUUID(),
      }),
      readers: [this.reader],
    });
    const meter = provider.getMeter("authority");
    for (const [name, spec] of Object.entries(COUNTERS) as [CounterName, (typeof COUNTERS)[CounterName]][]) {
      const counter = meter.createCounter(METRIC_PREFIX + name, { description: spec.help });
      for (const labels of spec.initial ?? []) counter.add(0, labels);
      this.counters.set(name, counter);
    }
    for (const [name, spec] of Object.entries(HISTOGRAMS) as [HistogramName, (typeof HISTOGRAMS)[HistogramName]][]) {
      const histogram = meter.createHistogram(METRIC_PREFIX + name, {
        description: spec.help,
        unit: "s",
        advice: { explicitBucketBoundaries: [...spec.buckets] },
      });
      this.histograms.set(name, histogram);
    }
  }

  increment(name: CounterName, labels?: MetricLabels, by = 1): void {
    if (!isCount(by)) return;
    this.counters.get(name)?.add(by, boundedLabels(COUNTERS[name].labelNames, labels));
    this.recorded = true;
  }

  observe(name: HistogramName, seconds: number, labels?: MetricLabels): void {
    if (!isDuration(seconds)) return;
    this.histograms.get(name)?.record(seconds, boundedLabels(HISTOGRAMS[name].labelNames, labels));
    this.recorded = true;
  }

  /**
   * Starts an export when the interval has passed since the last one and
   * something was recorded since; resolves undefined otherwise. At most one
   * export runs at a time. The promise never rejects (failures are logged).
   */
  flushIfDue(): Promise<void> | undefined {
    const now = this.now();
    if (this.exporting || !this.recorded || now - this.lastExport < this.options.intervalMs) return undefined;
    return this.flush();
  }

  /** Exports now (also what `flushIfDue` runs); a running export is joined rather than doubled. */
  flush(): Promise<void> {
    if (this.exporting) return this.exporting;
    this.lastExport = this.now();
    this.recorded = false;
    this.exporting = this.export()
      .catch((error: unknown) => {
        this.options.logger.warn("metrics_export_failed", { error: error instanceof Error ? error.message : "failed" });
      })
      .finally(() => {
        this.exporting = undefined;
      });
    return this.exporting;
  }

  private async export(): Promise<void> {
    const { resourceMetrics, errors } = await this.reader.collect();
    if (errors.length > 0) throw errors[0];
    if (resourceMetrics.scopeMetrics.every((scope) => scope.metrics.length === 0)) return;
    const response = await this.send(this.url, {
      method: "POST",
      headers: { ...this.options.headers, "content-type": "application/json" },
      body: JsonMetricsSerializer.serializeRequest(resourceMetrics) as Uint8Array<ArrayBuffer>,
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 5_000),
    });
    await response.body?.cancel();
    if (!response.ok) throw new Error(`the OTLP endpoint answered ${response.status}`);
  }
}
