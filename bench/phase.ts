/**
 * One measured phase of a load run on a target: an optional warm-up, then
 * the load (bench/load.ts) with the serving process's CPU clock read around
 * it (after letting background work settle), folded into an EndpointResult:
 * throughput, latency percentiles and distribution, a per-second timeline,
 * errors, CPU per request and, when given, the ratio to a raw limit.
 */
import { type Flow, type LoadRun, runLoad } from "./load.js";
import type { Progress } from "./progress.js";
import type { EndpointResult, RawLimit, TimelinePoint } from "./results.js";
import { logHistogram, percentile, sortedCopy, summarize } from "./stats.js";
import type { Target } from "./target.js";

export interface PhaseSpec {
  key: string;
  label: string;
  flow: Flow;
  connections: number;
  maxRequests: number;
  durationS: number;
  /** Requests of an unmeasured warm-up with the same flow (0: none). */
  warmup?: number;
  rate?: number;
  raw?: RawLimit;
  notes?: string[];
}

/** Seconds since the run started, for timelines across phases. */
let runStart = Date.now();
export const markRunStart = () => {
  runStart = Date.now();
};

export function timelineOf(run: LoadRun): TimelinePoint[] {
  const offset = (run.startedAt - runStart) / 1000;
  const seconds = Math.max(1, Math.ceil(run.durationS));
  const buckets: number[][] = Array.from({ length: seconds }, () => []);
  run.times.forEach((t, i) => {
    buckets[Math.min(seconds - 1, Math.floor(t))]?.push(run.latencies[i] as number);
  });
  const errors = new Array<number>(seconds).fill(0);
  for (const t of run.errorTimes) {
    const i = Math.min(seconds - 1, Math.floor(t));
    errors[i] = (errors[i] ?? 0) + 1;
  }
  return buckets.map((latencies, i) => {
    // The last bucket is usually a partial second: scale it to a rate.
    const width = i === seconds - 1 ? Math.max(0.05, run.durationS - i) : 1;
    return {
      t: Math.round((offset + i) * 10) / 10,
      rps: latencies.length / width,
      errors: errors[i] ?? 0,
      p99: percentile(sortedCopy(latencies), 99),
    };
  });
}

export function endpointOf(spec: PhaseSpec, target: Target | null, run: LoadRun, cpuSeconds?: number): EndpointResult {
  const result: EndpointResult = {
    key: spec.key,
    label: spec.label,
    runtime: target?.runtime ?? "in-process",
    connections: run.connections,
    requests: run.requests,
    errors: run.errors,
    errorSamples: run.errorSamples,
    durationS: run.durationS,
    rps: run.requests / run.durationS,
    latency: summarize(run.latencies),
    histogram: logHistogram(run.latencies),
    timeline: timelineOf(run),
    ...(spec.notes ? { notes: spec.notes } : {}),
  };
  if (cpuSeconds !== undefined && run.requests > 0) {
    const perCpuSecond = run.requests / Math.max(cpuSeconds, 0.01);
    result.cpu = {
      seconds: cpuSeconds,
      perRequestMs: (cpuSeconds * 1000) / run.requests,
      perCpuSecond,
      process: target?.runtime === "workerd" ? "workerd" : "node server",
    };
    if (spec.raw) result.raw = { ...spec.raw, ratio: perCpuSecond / spec.raw.perCpuSecond };
  }
  return result;
}

/** Runs the phase against `target`, measuring its CPU. */
export async function runPhase(target: Target, spec: PhaseSpec, progress?: Progress): Promise<EndpointResult> {
  let warm: LoadRun | undefined;
  if (spec.warmup) {
    progress?.start(`${spec.key} (warm-up)`, spec.warmup, spec.durationS);
    warm = await runLoad({
      base: target.base,
      flow: spec.flow,
      connections: spec.connections,
      maxRequests: spec.warmup,
      durationS: spec.durationS,
      onTick: (done, errors, elapsed) => progress?.tick(done, errors, elapsed),
    });
    progress?.done();
  }
  await target.settle();
  const before = target.cpu();
  progress?.start(spec.key, spec.maxRequests, spec.durationS);
  const run = await runLoad({
    base: target.base,
    flow: spec.flow,
    connections: spec.connections,
    maxRequests: spec.maxRequests,
    durationS: spec.durationS,
    ...(spec.rate ? { rate: spec.rate } : {}),
    onTick: (done, errors, elapsed) => progress?.tick(done, errors, elapsed),
  });
  // Work the server does after answering (the refresh's ledger write) belongs to the phase.
  await target.settle();
  const result = endpointOf(spec, target, run, target.cpu() - before);
  if (warm?.errors) {
    // A failed warm-up request is a failed request all the same.
    result.errors += warm.errors;
    for (const [what, n] of Object.entries(warm.errorSamples))
      result.errorSamples[`warm-up: ${what}`] = (result.errorSamples[`warm-up: ${what}`] ?? 0) + n;
  }
  progress?.done(result);
  return result;
}
