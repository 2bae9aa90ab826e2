/**
 * The Workers metrics adapter on Node against the OTLP receiver: what it
 * sends (names, bounded labels, cumulative sums, explicit-bucket histograms,
 * resource), when it sends (the interval, only after something was recorded,
 * one export at a time), and that a failing endpoint is logged, never thrown.
 * The same adapter inside workerd is in test/runtime/worker-metrics.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HISTOGRAMS } from "../../src/adapters/telemetry/metric-catalogue.js";
import { metricsUrl, OtlpMetrics } from "../../src/adapters/telemetry/otlp-metrics.js";
import type { Logger } from "../../src/core/ports/logger.js";
import { metricPoints, type OtlpReceiver, startOtlpReceiver } from "../support/otlp-receiver.js";

let receiver: OtlpReceiver;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
});

afterAll(async () => {
  await receiver?.close();
});

function recordingLogger() {
  const warnings: { event: string; fields?: Record<string, unknown> }[] = [];
  const logger: Logger = { info() {}, error() {}, warn: (event, fields) => warnings.push({ event, fields }) };
  return { logger, warnings };
}

function adapter(endpoint = receiver.url, intervalMs = 1_000) {
  let now = 1_000_000;
  const log = recordingLogger();
  const metrics = new OtlpMetrics({
    endpoint,
    serviceName: "authority-test",
    headers: { authorization: "Bearer collector-secret" },
    intervalMs,
    logger: log.logger,
    instanceId: "isolate-1",
    now: () => now,
  });
  return { metrics, ...log, advance: (ms: number) => (now += ms) };
}

describe("metricsUrl", () => {
  it("appends the signal path to the base endpoint", () => {
    expect(metricsUrl("https://otel.example/")).toBe("https://otel.example/v1/metrics");
    expect(metricsUrl("https://otel.example/base")).toBe("https://otel.example/base/v1/metrics");
  });
});

describe("OtlpMetrics", () => {
  it("exports cumulative sums and explicit-bucket histograms, at most once per interval", async () => {
    const { metrics, advance } = adapter();
    const before = receiver.requests.metrics.length;
    expect(metrics.flushIfDue()).toBeUndefined(); // nothing recorded yet

    metrics.increment("http_requests_total", { method: "GET", route: "/healthz", status: "200", tenant: "acme" });
    metrics.increment("refreshes_total", { outcome: "rotated" }, 2);
    metrics.increment("refreshes_total", { outcome: "rotated" }, -1); // ignored: counters only go up
    metrics.observe("http_request_duration_seconds", 0.003, { method: "GET", route: "/healthz" });
    metrics.observe("http_request_duration_seconds", 20, { method: "GET", route: "/healthz" });
    metrics.observe("http_request_duration_seconds", Number.NaN, { method: "GET", route: "/healthz" }); // ignored
    expect(metrics.flushIfDue()).toBeUndefined(); // the interval has not passed

    advance(1_000);
    const export1 = metrics.flushIfDue();
    expect(export1).toBeInstanceOf(Promise);
    expect(metrics.flushIfDue()).toBeUndefined(); // one export at a time
    await export1;
    expect(receiver.requests.metrics.length).toBe(before + 1);

    const points = metricPoints(receiver.requests.metrics.slice(before));
    const requests = points.find((p) => p.name === "authority_http_requests_total");
    expect(requests).toMatchObject({
      kind: "sum",
      isMonotonic: true,
      temporality: 2, // cumulative
      value: 1,
      attributes: { method: "GET", route: "/healthz", status: "200" }, // the undeclared `tenant` label is dropped
      resource: { "service.name": "authority-test", "service.instance.id": "isolate-1" },
    });
    const refreshes = points.filter((p) => p.name === "authority_refreshes_total");
    expect(Object.fromEntries(refreshes.map((p) => [p.attributes.outcome, p.value]))).toEqual({
      rotated: 2,
      grace: 0, // exported at 0 from the start
      reuse: 0,
      invalid: 0,
      late: 0,
    });
    const duration = points.find((p) => p.name === "authority_http_request_duration_seconds");
    const bounds = [...HISTOGRAMS.http_request_duration_seconds.buckets];
    expect(duration).toMatchObject({ kind: "histogram", unit: "s", temporality: 2, count: 2, explicitBounds: bounds });
    expect(duration?.sum).toBeCloseTo(20.003, 6);
    expect(duration?.bucketCounts).toHaveLength(bounds.length + 1);
    expect(duration?.bucketCounts?.[bounds.indexOf(0.005)]).toBe(1); // 3 ms: the (2.5 ms, 5 ms] bucket
    expect(duration?.bucketCounts?.at(-1)).toBe(1); // 20 s: above the last bound
    expect(BigInt(duration?.timeUnixNano ?? 0)).toBeGreaterThanOrEqual(BigInt(duration?.startTimeUnixNano ?? 1));

    // Cumulative: the next export carries the totals since the start, from the same start time.
    metrics.increment("http_requests_total", { method: "GET", route: "/healthz", status: "200" });
    advance(1_000);
    await metrics.flushIfDue();
    const next = metricPoints(receiver.requests.metrics.slice(before + 1));
    const again = next.find((p) => p.name === "authority_http_requests_total");
    expect(again?.value).toBe(2);
    expect(again?.startTimeUnixNano).toBe(requests?.startTimeUnixNano);
  });

  it("logs a failing export and resolves anyway", async () => {
    const { metrics, warnings, advance } = adapter(`${receiver.url}/nowhere`);
    metrics.increment("sessions_revoked_total", { reason: "logout" });
    advance(1_000);
    await expect(metrics.flushIfDue()).resolves.toBeUndefined();
    expect(warnings).toEqual([{ event: "metrics_export_failed", fields: { error: "the OTLP endpoint answered 404" } }]);
  });

  it("flush() exports at once, whatever the interval", async () => {
    const { metrics } = adapter(receiver.url, 3_600_000);
    const before = receiver.requests.metrics.length;
    metrics.increment("signing_key_rotations_total", { trigger: "scheduled" });
    await metrics.flush();
    const rotations = metricPoints(receiver.requests.metrics.slice(before)).filter(
      (p) => p.name === "authority_signing_key_rotations_total",
    );
    expect(rotations.find((p) => p.attributes.trigger === "scheduled")?.value).toBe(1);
  });
});
