import { Counter, collectDefaultMetrics, Histogram, Registry } from "prom-client";
import type { CounterName, HistogramName, MetricLabels, Metrics } from "../../core/ports/telemetry.js";
import { boundedLabels, COUNTERS, HISTOGRAMS, isCount, isDuration, METRIC_PREFIX } from "./metric-catalogue.js";

/**
 * The Metrics port on prom-client, for the Node runtime's `GET /metrics`
 * (it is also what the app's `metricsExposition` dependency asks for: a
 * content type and the rendered text). Each instance has its own Registry (never prom-client's global one), so
 * several apps in one process, as in the tests, keep separate counts.
 */
export class PrometheusMetrics implements Metrics {
  readonly registry = new Registry();
  private readonly counters = new Map<CounterName, Counter>();
  private readonly histograms = new Map<HistogramName, Histogram>();

  constructor(options: { processMetrics?: boolean } = {}) {
    for (const [name, spec] of Object.entries(COUNTERS) as [CounterName, (typeof COUNTERS)[CounterName]][]) {
      const counter = new Counter({
        name: METRIC_PREFIX + name,
        help: spec.help,
        labelNames: spec.labelNames,
        registers: [this.registry],
      });
      for (const labels of spec.initial ?? []) counter.inc(labels, 0);
      this.counters.set(name, counter);
    }
    for (const [name, spec] of Object.entries(HISTOGRAMS) as [HistogramName, (typeof HISTOGRAMS)[HistogramName]][]) {
      const histogram = new Histogram({
        name: METRIC_PREFIX + name,
        help: spec.help,
        labelNames: spec.labelNames,
        buckets: [...spec.buckets],
        registers: [this.registry],
      });
      this.histograms.set(name, histogram);
    }
    // CPU, memory, event-loop lag, GC and handles of this process, under the same prefix.
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: METRIC_PREFIX });
  }

  increment(name: CounterName, labels?: MetricLabels, by = 1): void {
    if (!isCount(by)) return;
    this.counters.get(name)?.inc(boundedLabels(COUNTERS[name].labelNames, labels), by);
  }

  observe(name: HistogramName, seconds: number, labels?: MetricLabels): void {
    if (!isDuration(seconds)) return;
    this.histograms.get(name)?.observe(boundedLabels(HISTOGRAMS[name].labelNames, labels), seconds);
  }

  /** `text/plain; version=0.0.4; charset=utf-8`: the Prometheus text exposition format. */
  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}
