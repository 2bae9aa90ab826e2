import { describe, expect, it } from "vitest";
import { findKnee, type StressStep } from "../../bench/knee.js";
import { memoryGrowth } from "../../bench/soak.js";
import { LatencyRecorder, median, slope } from "../../bench/stats.js";
import { ladder } from "../../bench/stress.js";
import { Timeline, timelineStepS } from "../../bench/timeline.js";

const recorderOf = (values: number[]) => {
  const r = new LatencyRecorder();
  for (const v of values) r.record(v);
  return r;
};

describe("latency statistics", () => {
  it("takes the nearest rank, within the histogram's precision (0.1%)", () => {
    const r = recorderOf(Array.from({ length: 100 }, (_, i) => i + 1)); // 1..100 ms
    for (const [p, exact] of [
      [50, 50],
      [95, 95],
      [99, 99],
      [100, 100],
    ] as const)
      expect(Math.abs(r.percentile(p) - exact)).toBeLessThanOrEqual(exact * 1e-3);
    expect(recorderOf([7]).percentile(99)).toBe(7);
    expect(recorderOf([1, 2, 3]).percentile(50)).toBeCloseTo(2, 2);
    expect(new LatencyRecorder().percentile(50)).toBeNaN();
  });

  it("summarizes unsorted latencies", () => {
    const s = recorderOf([5, 1, 4, 2, 3, 100, 6, 7, 8, 9]).summary();
    expect(s).toMatchObject({ count: 10, min: 1, max: 100 });
    expect(s.p50).toBeCloseTo(5, 2);
    expect(s.p95).toBe(100);
    expect(s.p99).toBe(100);
    expect(s.mean).toBeCloseTo(14.5, 1);
    expect(new LatencyRecorder().summary().count).toBe(0);
  });

  it("bins latencies on log-spaced buckets covering every value", () => {
    const h = recorderOf([0.5, 1, 1, 2, 50, 900]).distribution(10);
    expect(h.edges[0]).toBeCloseTo(0.1);
    expect(h.edges.at(-1)).toBeCloseTo(1_000);
    expect(h.counts.reduce((a, b) => a + b, 0)).toBe(6);
    expect(h.counts).toHaveLength(h.edges.length - 1);
    const bucketOf = (v: number) => h.edges.findIndex((e, i) => v >= e && v < (h.edges[i + 1] ?? Infinity));
    expect(h.counts[bucketOf(1)]).toBe(2);
    expect(new LatencyRecorder().distribution()).toEqual({ edges: [], counts: [] });
  });

  it("builds a timeline step by step: answers, errors and p99 per step, late times in the open step", () => {
    const t = new Timeline(1);
    t.answer(0.1, 2);
    t.answer(0.9, 4);
    t.error(0.95);
    t.answer(2.5, 10); // second 1 had nothing
    t.answer(2.4, 1); // a late one, counted in the open step
    const steps = t.close();
    expect(steps.map((s) => [s.answers, s.errors])).toEqual([
      [2, 1],
      [0, 0],
      [2, 0],
    ]);
    expect(steps[0]?.p99).toBe(4);
    expect(steps[1]?.p99).toBeNaN();
    expect(steps[2]?.p99).toBe(10);
    expect(timelineStepS(600)).toBe(1);
    expect(timelineStepS(24 * 3_600)).toBe(24);
  });

  it("fits a least-squares slope", () => {
    expect(slope([0, 1, 2, 3].map((x) => ({ x, y: 2 * x + 1 })))).toBeCloseTo(2);
    expect(slope([{ x: 1, y: 5 }])).toBe(0);
    expect(median([3, 1, 2])).toBe(2);
    expect(median([])).toBeNaN();
  });

  it("measures memory growth after the warm-up fifth", () => {
    const samples = Array.from({ length: 50 }, (_, i) => ({
      t: i * 60,
      rssBytes: 100 * 1048576 + i * 1048576, // +1 MB per minute
      heapUsedBytes: (i < 10 ? 80 : 40) * 1048576, // a warm-up spike, then flat
      benchRssBytes: 50 * 1048576,
      benchHeapUsedBytes: 20 * 1048576 + i * 524288, // +0.5 MB per minute
    }));
    const g = memoryGrowth(samples, 3_000);
    expect(g.rssSlopeMBPerMin).toBeCloseTo(1);
    expect(g.heapSlopeMBPerMin).toBeCloseTo(0);
    expect(g.heapGrowthPct).toBeCloseTo(0);
    expect(g.benchRssSlopeMBPerMin).toBeCloseTo(0);
    expect(g.benchHeapSlopeMBPerMin).toBeCloseTo(0.5);
  });

  it("judges the heap by its floor after collections, not by where a sample fell in the collector's cycle", () => {
    const sawtooth = (floorMB: (i: number) => number) =>
      Array.from({ length: 360 }, (_, i) => ({
        t: i * 10,
        rssBytes: 200 * 1048576,
        // Sampled at a pseudo-random point between two collections: the floor plus up to 150 MB of garbage.
        heapUsedBytes: (floorMB(i) + ((i * 37) % 100) * 1.5) * 1048576,
        benchRssBytes: 50 * 1048576,
        benchHeapUsedBytes: 20 * 1048576,
      }));
    expect(
      Math.abs(
        memoryGrowth(
          sawtooth(() => 55),
          3_600,
        ).heapGrowthPct,
      ),
    ).toBeLessThan(1);
    // A leak of 0.5 MB a minute from 55 MB: the floor at the last fifth's start is 28% above the second's.
    const leak = memoryGrowth(
      sawtooth((i) => 55 + (i * 10 * 0.5) / 60),
      3_600,
    );
    expect(leak.heapGrowthPct).toBeGreaterThan(25); // well past the 10% target
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
