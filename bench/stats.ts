/**
 * Statistics of the benchmark: latencies go into an HDR histogram
 * (hdr-histogram-js, its pure-JS build) in microseconds with 3 significant
 * digits, so memory stays a fixed ~140 KB however many requests a run makes
 * and every percentile is within 0.1% of the exact one. Also: a log-scale
 * histogram for the report's distribution charts, a least-squares slope
 * (memory growth over a soak) and the median of a few values.
 */
import { Float64Histogram } from "hdr-histogram-js";

export interface LatencySummary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface Histogram {
  /** Bucket edges in ms, ascending; bucket i holds values in [edges[i], edges[i+1]). */
  edges: number[];
  counts: number[];
}

const SIGNIFICANT_DIGITS = 3;
/** The initial range (1 µs .. 60 s); larger values grow it. */
const HIGHEST_US = 60_000_000;

/** Latencies in ms, recorded as whole microseconds in an HDR histogram. */
export class LatencyRecorder {
  private readonly hdr: Float64Histogram;

  constructor() {
    this.hdr = new Float64Histogram(1, HIGHEST_US, SIGNIFICANT_DIGITS);
    this.hdr.autoResize = true;
  }

  record(ms: number): void {
    if (!Number.isFinite(ms)) return;
    this.hdr.recordValue(Math.max(0, Math.round(ms * 1000)));
  }

  /** Adds every value `other` holds (a merge: the counts add up exactly). */
  add(other: LatencyRecorder): void {
    this.hdr.add(other.hdr);
  }

  reset(): void {
    this.hdr.reset();
  }

  get count(): number {
    return this.hdr.totalCount;
  }

  /**
   * The `p`th percentile (0 < p <= 100) in ms, nearest rank: the highest
   * value equivalent to the ranked one at the histogram's precision, never
   * above the largest value recorded; NaN when empty.
   */
  percentile(p: number): number {
    if (this.count === 0) return Number.NaN;
    return Math.min(this.hdr.getValueAtPercentile(p), this.hdr.maxValue) / 1000;
  }

  summary(): LatencySummary {
    const n = this.count;
    return {
      count: n,
      min: n ? this.hdr.getValueAtPercentile(0) / 1000 : Number.NaN,
      mean: n ? this.hdr.mean / 1000 : Number.NaN,
      p50: this.percentile(50),
      p95: this.percentile(95),
      p99: this.percentile(99),
      max: n ? this.hdr.maxValue / 1000 : Number.NaN,
    };
  }

  /**
   * The recorded values over log-spaced buckets (`perDecade` per factor of
   * ten) from the decade below the smallest value to the decade above the
   * largest, so every endpoint's distribution, from 0.05 ms to seconds,
   * reads on one axis. Values under 1 µs (recorded as 0) are left out.
   */
  distribution(perDecade = 10): Histogram {
    const values: { ms: number; count: number }[] = [];
    const iterator = this.hdr.recordedValuesIterator;
    iterator.reset();
    while (iterator.hasNext()) {
      const step = iterator.next();
      const us = this.hdr.medianEquivalentValue(step.valueIteratedTo);
      if (step.valueIteratedTo > 0) values.push({ ms: us / 1000, count: step.countAtValueIteratedTo });
    }
    if (values.length === 0) return { edges: [], counts: [] };
    const lo = Math.floor(Math.log10((values[0] as { ms: number }).ms));
    const hi = Math.ceil(Math.log10((values.at(-1) as { ms: number }).ms) + 1e-9);
    const steps = Math.max(1, (hi - lo) * perDecade);
    const edges = Array.from({ length: steps + 1 }, (_, i) => 10 ** (lo + i / perDecade));
    const counts = new Array<number>(steps).fill(0);
    for (const { ms, count } of values) {
      const i = Math.min(steps - 1, Math.max(0, Math.floor((Math.log10(ms) - lo) * perDecade)));
      counts[i] = (counts[i] ?? 0) + count;
    }
    return { edges, counts };
  }
}

/** Least-squares slope of y over x (units of y per unit of x); 0 with fewer than two points. */
export function slope(points: { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.x - mx) * (p.y - my);
    den += (p.x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/** Median of a few values, nearest rank (NaN when empty). */
export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.ceil(sorted.length / 2) - 1] as number;
}
