import { Counter, Histogram, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { COUNTERS, HISTOGRAMS, METRIC_PREFIX } from "../../src/adapters/telemetry/metric-catalogue.js";
import { PrometheusMetrics } from "../../src/adapters/telemetry/prometheus.js";

// The port keeps its own cells per label set; what it renders must be what prom-client's own
// Counter and Histogram render for the same calls.
const family = (text: string, name: string) =>
  text
    .split("\n")
    .filter((line) => line.startsWith(`${METRIC_PREFIX}${name}`) || line.includes(` ${METRIC_PREFIX}${name} `))
    .join("\n");

function reference() {
  const registry = new Registry();
  const requests = new Counter({
    name: `${METRIC_PREFIX}http_requests_total`,
    help: COUNTERS.http_requests_total.help,
    labelNames: COUNTERS.http_requests_total.labelNames,
    registers: [registry],
  });
  const durations = new Histogram({
    name: `${METRIC_PREFIX}http_request_duration_seconds`,
    help: HISTOGRAMS.http_request_duration_seconds.help,
    labelNames: HISTOGRAMS.http_request_duration_seconds.labelNames,
    buckets: [...HISTOGRAMS.http_request_duration_seconds.buckets],
    registers: [registry],
  });
  return { registry, requests, durations };
}

const CALLS: [method: string, route: string, status: string, seconds: number][] = [
  ["GET", "/healthz", "200", 0.0004],
  ["GET", "/healthz", "200", 0.001], // on a bound: counted in its bucket (le is inclusive)
  ["POST", "/t/:tenant/v1/token/refresh", "200", 0.012],
  ["POST", "/t/:tenant/v1/token/refresh", "401", 0.3],
  ["GET", 'odd "route"\\ with\nnewline', "404", 42], // escaped in labels; above every bound
];

describe("PrometheusMetrics", () => {
  it("renders counters and histograms as prom-client's own classes do, across scrapes", async () => {
    const metrics = new PrometheusMetrics({ processMetrics: false });
    const { registry, requests, durations } = reference();
    for (const round of [CALLS, CALLS.slice(0, 2)]) {
      for (const [method, route, status, seconds] of round) {
        metrics.increment("http_requests_total", { method, route, status, extra: "dropped" });
        metrics.observe("http_request_duration_seconds", seconds, { method, route });
        requests.inc({ method, route, status });
        durations.observe({ method, route }, seconds);
      }
      const [ours, theirs] = [await metrics.render(), await registry.metrics()];
      expect(family(ours, "http_requests_total")).toBe(family(theirs, "http_requests_total"));
      expect(family(ours, "http_request_duration_seconds")).toBe(family(theirs, "http_request_duration_seconds"));
      expect(family(ours, "http_requests_total")).toContain('status="200"} ');
    }
    // Counted twice over: the first scrape's counts stay.
    expect(await metrics.render()).toContain(
      `${METRIC_PREFIX}http_requests_total{method="GET",route="/healthz",status="200"} 4`,
    );
  });

  it("keeps one cell per label set after cutting long values, and ignores what is not a count or a duration", async () => {
    const metrics = new PrometheusMetrics({ processMetrics: false });
    const long = "r".repeat(128);
    metrics.increment("refreshes_total", { outcome: `${long}a` });
    metrics.increment("refreshes_total", { outcome: `${long}b` });
    metrics.increment("refreshes_total", { outcome: "rotated" }, -1);
    metrics.increment("refreshes_total", { outcome: "rotated" }, Number.NaN);
    metrics.observe("redis_command_duration_seconds", -0.1, { command: "get" });
    metrics.observe("redis_command_duration_seconds", Number.POSITIVE_INFINITY, { command: "get" });
    const text = await metrics.render();
    expect(text).toContain(`${METRIC_PREFIX}refreshes_total{outcome="${long}"} 2`);
    expect(text).toContain(`${METRIC_PREFIX}refreshes_total{outcome="rotated"} 0`);
    expect(text).not.toContain(`${METRIC_PREFIX}redis_command_duration_seconds_count`);
  });

  it("renders a gauge as its owner reads it at each scrape", async () => {
    const metrics = new PrometheusMetrics({ processMetrics: false });
    let depth = 3;
    metrics.gauge("password_hash_queue_depth", () => depth);
    expect(await metrics.render()).toContain(`${METRIC_PREFIX}password_hash_queue_depth 3\n`);
    depth = 0;
    expect(await metrics.render()).toContain(`${METRIC_PREFIX}password_hash_queue_depth 0\n`);
  });
});
