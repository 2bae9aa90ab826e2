/**
 * Pure statistics of the benchmark: percentiles (nearest rank), a latency
 * summary, a log-scale histogram for the report's distribution charts, and a
 * least-squares slope (memory growth over a soak).
 */

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

/** The `p`th percentile (0 < p <= 100) of ascending `sorted`, nearest rank; NaN when empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number;
}

/** Sorted copy (numeric, ascending) as a Float64Array. */
export function sortedCopy(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(values).sort();
}

export function summarize(values: ArrayLike<number>): LatencySummary {
  const sorted = sortedCopy(values);
  let sum = 0;
  for (const v of sorted) sum += v;
  const n = sorted.length;
  return {
    count: n,
    min: n ? (sorted[0] as number) : Number.NaN,
    mean: n ? sum / n : Number.NaN,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: n ? (sorted[n - 1] as number) : Number.NaN,
  };
}

/**
 * A histogram over log-spaced buckets (`perDecade` per factor of ten) from
 * the decade below the smallest value to the decade above the largest, so
 * every endpoint's distribution, from 0.05 ms to seconds, reads on one axis.
 */
export function logHistogram(values: ArrayLike<number>, perDecade = 10): Histogram {
  const positive = Array.from(values).filter((v) => v > 0 && Number.isFinite(v));
  if (positive.length === 0) return { edges: [], counts: [] };
  const lo = Math.floor(Math.log10(Math.min(...positive)));
  const hi = Math.ceil(Math.log10(Math.max(...positive)) + 1e-9);
  const steps = Math.max(1, (hi - lo) * perDecade);
  const edges = Array.from({ length: steps + 1 }, (_, i) => 10 ** (lo + i / perDecade));
  const counts = new Array<number>(steps).fill(0);
  for (const v of positive) {
    const i = Math.min(steps - 1, Math.max(0, Math.floor((Math.log10(v) - lo) * perDecade)));
    counts[i] = (counts[i] ?? 0) + 1;
  }
  return { edges, counts };
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

/** Median of the values (NaN when empty). */
export function median(values: number[]): number {
  return percentile(sortedCopy(values), 50);
}
