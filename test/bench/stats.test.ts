import { describe, expect, it } from "vitest";
import { findKnee, type StressStep } from "../../bench/knee.js";
import { memoryGrowth } from "../../bench/soak.js";
import { logHistogram, percentile, slope, summarize } from "../../bench/stats.js";
import { ladder } from "../../bench/stress.js";

describe("percentiles", () => {
  it("takes the nearest rank of ascending values", () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1); // 1..100
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 95)).toBe(95);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([1, 2, 3], 50)).toBe(2);
    expect(percentile([], 50)).toBeNaN();
  });

  it("summarizes unsorted latencies", () => {
    const s = summarize([5, 1, 4, 2, 3, 100, 6, 7, 8, 9]);
    expect(s).toMatchObject({ count: 10, min: 1, p50: 5, p95: 100, p99: 100, max: 100 });
    expect(s.mean).toBeCloseTo(14.5);
  });

  it("bins latencies on log-spaced buckets covering every value", () => {
    const h = logHistogram([0.5, 1, 1, 2, 50, 900], 10);
    expect(h.edges[0]).toBeCloseTo(0.1);
    expect(h.edges.at(-1)).toBeCloseTo(1_000);
    expect(h.counts.reduce((a, b) => a + b, 0)).toBe(6);
    expect(h.counts).toHaveLength(h.edges.length - 1);
    const bucketOf = (v: number) => h.edges.findIndex((e, i) => v >= e && v < (h.edges[i + 1] ?? Infinity));
    expect(h.counts[bucketOf(1)]).toBe(2);
    expect(logHistogram([])).toEqual({ edges: [], counts: [] });
  });

  it("fits a least-squares slope", () => {
    expect(slope([0, 1, 2, 3].map((x) => ({ x, y: 2 * x + 1 })))).toBeCloseTo(2);
    expect(slope([{ x: 1, y: 5 }])).toBe(0);
  });

  it("measures memory growth after the warm-up fifth", () => {
    const samples = Array.from({ length: 50 }, (_, i) => ({
      t: i * 60,
      rssBytes: 100 * 1048576 + i * 1048576, // +1 MB per minute
      heapUsedBytes: (i < 10 ? 80 : 40) * 1048576, // a warm-up spike, then flat
    }));
    const g = memoryGrowth(samples, 3_000);
    expect(g.rssSlopeMBPerMin).toBeCloseTo(1);
    expect(g.heapSlopeMBPerMin).toBeCloseTo(0);
    expect(g.heapGrowthPct).toBeCloseTo(0);
  });
});

describe("stress knee", () => {
  const t = { p99Ms: 50, maxErrors: 0, minGain: 0.05 };
  const step = (connections: number, rps: number, p99: number, errors = 0): StressStep => ({
    connections,
    rps,
    p99,
    errors,
  });

  it("is the last step within the thresholds; the first beyond them broke the ramp", () => {
    const steps = [step(1, 300, 4), step(5, 1_200, 6), step(25, 1_500, 20), step(50, 1_520, 45), step(100, 1_510, 90)];
    const k = findKnee(steps, t);
    expect(k.knee?.connections).toBe(50);
    expect(k.broke?.connections).toBe(100);
    expect(k.reason).toMatch(/p99 90\.0 ms > 50 ms at 100 connections/);
    expect(k.saturation?.connections).toBe(25); // 25 -> 50 added under 5% while p99 grew
    expect(k.peakRps).toBe(1_520);
  });

  it("breaks on errors before latency, and may have no knee at all", () => {
    expect(findKnee([step(1, 100, 2), step(2, 180, 3, 1)], t).broke?.connections).toBe(2);
    const none = findKnee([step(1, 100, 80)], t);
    expect(none.knee).toBeNull();
    expect(none.peakRps).toBe(0);
    const never = findKnee([step(1, 100, 2), step(2, 200, 3)], t);
    expect(never.broke).toBeNull();
    expect(never.saturation).toBeNull();
    expect(never.reason).toMatch(/no threshold broken up to 2 connections/);
  });

  it("ramps up to the maximum, bounded", () => {
    expect(ladder(60)).toEqual([1, 2, 5, 10, 25, 50, 60]);
    expect(ladder(400).at(-1)).toBe(400);
  });
});
