import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { LatencyRecorder } from "../../bench/stats.js";

// The bench's latency statistics on 10M samples (a 1 h soak at 300 refreshes/s
// makes ~1.1M per flow): percentiles from a known distribution within the
// histogram's precision, merged histograms equal to one fed everything, and
// memory that does not grow with the number of samples.

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;
const heapAfterGc = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

/** Exponential latencies, mean `meanMs`: the value at quantile u. */
const MEAN_MS = 5;
const quantile = (u: number) => -MEAN_MS * Math.log1p(-u);

/**
 * `n` samples from the exponential distribution: its quantiles at (i + 0.5) / n,
 * fed in a scrambled order (a stride coprime with n), so the exact nearest-rank
 * percentile of the samples is known: the value at rank ceil(p/100 * n).
 */
function feed(recorders: LatencyRecorder[], n: number): void {
  const stride = 7_919; // prime, coprime with the sample counts used here
  for (let k = 0; k < n; k++) {
    const i = (k * stride) % n;
    (recorders[k % recorders.length] as LatencyRecorder).record(quantile((i + 0.5) / n));
  }
}
const exactPercentile = (p: number, n: number) => quantile((Math.ceil((p / 100) * n) - 1 + 0.5) / n);

/** 3 significant digits: a value is off by at most 1/1024 of itself, plus the rounding to whole microseconds. */
const within = (actual: number, exact: number) =>
  expect(Math.abs(actual - exact)).toBeLessThanOrEqual(exact / 1024 + 0.0005);

describe("bench latency statistics (HDR histogram)", () => {
  it("gives percentiles, mean, min, max and count of 10M samples within the histogram's precision, in bounded memory", () => {
    const N = 10_000_000;
    const small = new LatencyRecorder();
    const before = heapAfterGc();
    feed([small], 1_000_000);
    const afterSmall = heapAfterGc();

    const recorder = new LatencyRecorder();
    const afterCreate = heapAfterGc();
    feed([recorder], N);
    const afterLarge = heapAfterGc();

    const s = recorder.summary();
    expect(s.count).toBe(N);
    for (const p of [50, 90, 95, 99, 99.9, 99.99]) within(recorder.percentile(p), exactPercentile(p, N));
    within(s.p50, exactPercentile(50, N));
    within(s.p95, exactPercentile(95, N));
    within(s.p99, exactPercentile(99, N));
    within(s.max, quantile((N - 0.5) / N));
    within(s.min, quantile(0.5 / N));
    // The samples' own mean is the distribution's to within 1e-4 here.
    expect(Math.abs(s.mean - MEAN_MS)).toBeLessThan(MEAN_MS * 2e-3);

    // A histogram's memory is fixed by its range and precision, not by the samples:
    // 10M samples cost no more heap than 1M (an array of them would be 80 MB).
    const growthSmall = afterSmall - before;
    const growthLarge = afterLarge - afterCreate;
    console.log(
      `heap growth while recording: 1M samples ${(growthSmall / 1024).toFixed(0)} KiB, 10M samples ${(growthLarge / 1024).toFixed(0)} KiB`,
    );
    expect(growthLarge).toBeLessThan(512 * 1024);
    expect(growthLarge - growthSmall).toBeLessThan(256 * 1024);
    expect(small.count).toBe(1_000_000);
  }, 60_000);

  it("merges histograms: four recorders added together equal one recorder fed every sample", () => {
    const n = 400_000;
    const whole = new LatencyRecorder();
    const parts = [new LatencyRecorder(), new LatencyRecorder(), new LatencyRecorder(), new LatencyRecorder()];
    feed([whole], n);
    feed(parts, n);
    const merged = new LatencyRecorder();
    for (const part of parts) merged.add(part);
    expect(merged.summary()).toEqual(whole.summary());
    expect(merged.distribution()).toEqual(whole.distribution());
    within(merged.percentile(99), exactPercentile(99, n));
  });

  it("records seconds-long outliers (the range grows) and ignores what is not a number", () => {
    const r = new LatencyRecorder();
    r.record(0.2);
    r.record(120_000); // 2 minutes: beyond the initial 60 s range
    r.record(Number.NaN);
    r.record(Number.POSITIVE_INFINITY);
    expect(r.count).toBe(2);
    expect(r.summary().max).toBe(120_000);
    expect(r.summary().min).toBeCloseTo(0.2, 3);
    within(r.percentile(100), 120_000);
  });
});
