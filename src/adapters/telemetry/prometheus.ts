import { Counter, collectDefaultMetrics, Gauge, Registry } from "prom-client";
import type { CounterName, HistogramName, MetricLabels, Metrics } from "../../core/ports/telemetry.js";
import {
  boundedLabels,
  COUNTERS,
  GAUGES,
  type GaugeName,
  HISTOGRAMS,
  type HistogramSpec,
  isCount,
  isDuration,
  labelKey,
  METRIC_PREFIX,
} from "./metric-catalogue.js";

/**
 * The Metrics port on prom-client, for the Node runtime's `GET /metrics`
 * (it is also what the app's `metricsExposition` dependency asks for: a
 * content type and the rendered text). Each instance has its own Registry
 * (never prom-client's global one), so several apps in one process, as in
 * the tests, keep separate counts.
 *
 * A request records into cells of our own, found by one string key: prom-client
 * would validate and hash each label object on every call (a few µs a request).
 * Counters hand their cells' counts to prom-client when scraped; histograms
 * render their own cells.
 */
export class PrometheusMetrics implements Metrics {
  readonly registry = new Registry();
  private readonly counts = new Map<CounterName, Map<string, CountCell>>();
  private readonly histograms = new Map<HistogramName, BucketedHistogram>();

  constructor(options: { processMetrics?: boolean } = {}) {
    for (const [name, spec] of Object.entries(COUNTERS) as [CounterName, (typeof COUNTERS)[CounterName]][]) {
      const cells = new Map<string, CountCell>();
      this.counts.set(name, cells);
      const counter = new Counter({
        name: METRIC_PREFIX + name,
        help: spec.help,
        labelNames: spec.labelNames,
        registers: [this.registry],
        collect() {
          for (const cell of cells.values()) {
            if (cell.pending === 0) continue;
            this.inc(cell.labels, cell.pending);
            cell.pending = 0;
          }
        },
      });
      for (const labels of spec.initial ?? []) counter.inc(labels, 0);
    }
    for (const [name, spec] of Object.entries(HISTOGRAMS) as [HistogramName, HistogramSpec][]) {
      const histogram = new BucketedHistogram(METRIC_PREFIX + name, spec);
      // The registry needs only a name and get(); its type asks for prom-client's own classes.
      this.registry.registerMetric(histogram as never);
      this.histograms.set(name, histogram);
    }
    // CPU, memory, event-loop lag, GC and handles of this process, under the same prefix.
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: METRIC_PREFIX });
  }

  increment(name: CounterName, labels?: MetricLabels, by = 1): void {
    const cells = this.counts.get(name);
    if (!cells || !isCount(by)) return;
    const names = COUNTERS[name].labelNames;
    const key = labelKey(names, labels);
    const cell = cells.get(key);
    if (cell) cell.pending += by;
    else cells.set(key, { labels: boundedLabels(names, labels), pending: by });
  }

  observe(name: HistogramName, seconds: number, labels?: MetricLabels): void {
    if (isDuration(seconds)) this.histograms.get(name)?.observe(seconds, labels);
  }

  /** A gauge whose value is read from `read` when scraped (nothing is recorded in between). */
  gauge(name: GaugeName, read: () => number): void {
    new Gauge({
      name: METRIC_PREFIX + name,
      help: GAUGES[name].help,
      registers: [this.registry],
      collect() {
        this.set(read());
      },
    });
  }

  /** `text/plain; version=0.0.4; charset=utf-8`: the Prometheus text exposition format. */
  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}

interface CountCell {
  labels: MetricLabels;
  /** Counted since the last scrape, not yet in prom-client's counter. */
  pending: number;
}

/** A line of the exposition, as prom-client's registry reads it from a metric's `get()`. */
interface ExposedValue {
  labels: Record<string, string | number>;
  value: number;
  metricName: string;
}

interface HistogramCell {
  labels: MetricLabels;
  /** Per bucket (the last is +Inf), not cumulative. */
  counts: number[];
  sum: number;
  count: number;
}

/**
 * A histogram as prom-client's registry renders any metric (`get()`), the same
 * exposition as prom-client's Histogram: cumulative `_bucket` lines with `le`,
 * then `_sum` and `_count`, per label set.
 */
class BucketedHistogram {
  readonly type = "histogram";
  readonly aggregator = "sum";
  readonly help: string;
  private readonly cells = new Map<string, HistogramCell>();

  constructor(
    readonly name: string,
    private readonly spec: HistogramSpec,
  ) {
    this.help = spec.help;
  }

  observe(seconds: number, labels: MetricLabels | undefined): void {
    const key = labelKey(this.spec.labelNames, labels);
    let cell = this.cells.get(key);
    if (!cell) {
      const counts = new Array<number>(this.spec.buckets.length + 1).fill(0);
      cell = { labels: boundedLabels(this.spec.labelNames, labels), counts, sum: 0, count: 0 };
      this.cells.set(key, cell);
    }
    const bounds = this.spec.buckets;
    let bucket = 0;
    while (bucket < bounds.length && seconds > (bounds[bucket] as number)) bucket++;
    cell.counts[bucket] = (cell.counts[bucket] as number) + 1;
    cell.sum += seconds;
    cell.count++;
  }

  async get() {
    const values: ExposedValue[] = [];
    for (const cell of this.cells.values()) {
      let cumulative = 0;
      cell.counts.forEach((count, i) => {
        cumulative += count;
        const le = this.spec.buckets[i] ?? "+Inf";
        values.push({ labels: { le, ...cell.labels }, value: cumulative, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: cell.labels, value: cell.sum, metricName: `${this.name}_sum` });
      values.push({ labels: cell.labels, value: cell.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}
