/**
 * One measured phase of a load run on a target: an optional warm-up, then
 * the load (bench/load.ts) with the serving process's CPU clock read around
 * it (after letting background work settle), folded into an EndpointResult:
 * throughput, latency percentiles and distribution (from an HDR histogram),
 * a per-second timeline, errors, CPU per request and, when given, the ratio
 * to a raw limit.
 */
import { type Flow, type LoadRun, runLoad } from "./load.js";
import type { Progress } from "./progress.js";
import type { EndpointResult, RawLimit, TimelinePoint } from "./results.js";
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

function timelineOf(run: LoadRun): TimelinePoint[] {
  const offset = (run.startedAt - runStart) / 1000;
  const last = run.timeline.length - 1;
  return run.timeline.map((step, i) => {
    // The last step is usually a partial one: scale it to a rate.
    const width = i === last ? Math.min(run.stepS, Math.max(0.05, run.durationS - i * run.stepS)) : run.stepS;
    return {
      t: Math.round((offset + i * run.stepS) * 10) / 10,
      rps: step.answers / width,
      errors: step.errors,
      p99: step.p99,
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
    latency: run.latency.summary(),
    histogram: run.latency.distribution(),
    timeline: timelineOf(run),
    ...(spec.notes ? { notes: spec.notes } : {}),
  };
  if (cpuSeconds !== undefined && run.requests > 0) {
    const perCpuSecond = run.requests / Math.max(cpuSeconds, 0.01);
    result.cpu = {
      seconds: cpuSeconds,
      perRequestMs: (cpuSeconds * 1000) / run.requests,
      perCpuSecond,
      process: target?.process ?? (target?.runtime === "workerd" ? "workerd" : "node server"),
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
