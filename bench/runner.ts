/**
 * Runs one benchmark (short, stress or soak) and assembles its Results:
 * endpoints, raw limits, figures, stores, targets (pass/miss) and
 * correctness. Writing and printing are the caller's (bench/run.ts).
 */
import { cpus, release, totalmem, type } from "node:os";
import { type Hooks, type RunPart, runNode } from "./node-run.js";
import type { BenchOptions } from "./options.js";
import { markRunStart } from "./phase.js";
import { createProgress, type Progress } from "./progress.js";
import type { Results } from "./results.js";
import { runSoak } from "./soak.js";
import { runStress } from "./stress.js";
import { evaluateCorrectness, evaluateTargets } from "./verdict.js";
import { runWorker } from "./worker.js";

export function machine(): Results["machine"] {
  const all = cpus();
  return {
    cpus: all.length,
    cpuModel: (all[0]?.model ?? "unknown").replace(/\s+/g, " ").trim(),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    os: `${type()} ${release()}`,
  };
}

function merge(parts: Partial<RunPart>[]): RunPart {
  const out: RunPart = {
    raw: {},
    endpoints: [],
    figures: [],
    resources: { redis: {} },
    chains: {},
    logs: {},
    unjudged: [],
  };
  for (const part of parts) {
    Object.assign(out.raw, part.raw);
    out.endpoints.push(...(part.endpoints ?? []));
    out.figures.push(...(part.figures ?? []));
    Object.assign(out.resources.redis, part.resources?.redis);
    if (part.resources?.postgres) out.resources.postgres = part.resources.postgres;
    Object.assign(out.chains, part.chains);
    Object.assign(out.logs, part.logs);
    out.unjudged?.push(...(part.unjudged ?? []));
  }
  return out;
}

export async function runBench(
  options: BenchOptions,
  hooks: Hooks = {},
  progress: Progress = createProgress(process.stderr, options.quiet),
): Promise<Results> {
  const started = new Date();
  markRunStart();
  const parts: Partial<RunPart>[] = [];
  let stress: Results["stress"];
  let soak: Results["soak"];
  if (options.mode === "stress") {
    const part = await runStress(options, progress);
    stress = part.stress;
    parts.push(part);
  } else if (options.mode === "soak") {
    const part = await runSoak(options, progress);
    soak = part.soak;
    parts.push(part);
  } else {
    parts.push(await runNode(options, progress, hooks));
    if (options.worker) parts.push(await runWorker(options, progress));
  }
  const all = merge(parts);
  const judged = all.endpoints.filter((e) => !all.unjudged?.includes(e.key));
  const finished = new Date();
  return {
    version: 1,
    mode: options.mode,
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    durationS: (finished.getTime() - started.getTime()) / 1000,
    machine: machine(),
    options: { ...options },
    raw: all.raw,
    endpoints: all.endpoints,
    figures: all.figures,
    resources: all.resources,
    ...(stress ? { stress } : {}),
    ...(soak ? { soak } : {}),
    targets: evaluateTargets(all.endpoints, all.resources, soak, options.alg),
    correctness: evaluateCorrectness(judged, all.chains, all.logs),
  };
}
