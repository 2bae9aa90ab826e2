/**
 * A cost held against a floor measured in the same run: the two sides in
 * alternating rounds (floor, service, floor, service, …), and of each side the
 * round with the median CPU per request kept. One round per side is within its
 * own noise on a shared machine: the floor alone moved 15-35% between rounds.
 */
import type { PhaseSpec } from "./phase.js";
import type { EndpointResult } from "./results.js";
import type { Target } from "./target.js";

export interface Side {
  target: Target;
  spec: PhaseSpec;
}

type RunPhase = (target: Target, spec: PhaseSpec) => Promise<EndpointResult>;

const µs = (r: EndpointResult) => (r.cpu?.perRequestMs ?? Number.NaN) * 1000;

/** The round with the median CPU per request (the lower middle of an even count), every round's errors added to it. */
export function medianRound(runs: EndpointResult[]): EndpointResult {
  if (runs.length === 0) throw new Error("no rounds");
  const sorted = [...runs].sort((a, b) => µs(a) - µs(b));
  const kept = sorted[Math.floor((sorted.length - 1) / 2)] as EndpointResult;
  const errorSamples: Record<string, number> = {};
  for (const run of runs)
    for (const [what, n] of Object.entries(run.errorSamples)) errorSamples[what] = (errorSamples[what] ?? 0) + n;
  const perRound = runs.map((r) => µs(r).toFixed(1)).join(", ");
  return {
    ...kept,
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
    errorSamples,
    notes: [
      ...(kept.notes ?? []),
      `CPU per request in ${runs.length} alternating rounds: ${perRound} µs; the median round is shown`,
    ],
  };
}

/** Each side measured `rounds` times in turn (its warm-up only before its first round); the median round of each. */
export async function alternatingRounds(sides: Side[], rounds: number, run: RunPhase): Promise<EndpointResult[]> {
  const runs: EndpointResult[][] = sides.map(() => []);
  for (let round = 0; round < rounds; round++)
    for (const [i, side] of sides.entries())
      runs[i]?.push(await run(side.target, round === 0 ? side.spec : { ...side.spec, warmup: 0 }));
  return runs.map(medianRound);
}
