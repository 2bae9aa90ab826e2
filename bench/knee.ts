/**
 * The knee of a stress ramp: the highest concurrency the service sustains
 * within the thresholds (no errors, p99 under the limit), where it broke,
 * and where throughput stopped growing (saturation: a step that adds less
 * than `minGain` of throughput while its p99 grows).
 */

export interface StressStep {
  connections: number;
  rps: number;
  p99: number;
  errors: number;
}

export interface Thresholds {
  /** p99 latency above this (ms) breaks the ramp. */
  p99Ms: number;
  /** More errors than this break the ramp. */
  maxErrors: number;
  /** Relative throughput gain below which a step counts as saturated (e.g. 0.05). */
  minGain: number;
}

export interface Knee {
  /** The last step within the thresholds (null when even the first broke). */
  knee: StressStep | null;
  /** The first step beyond them (null when the ramp never broke). */
  broke: StressStep | null;
  reason: string;
  /** The first step from which more clients no longer bought throughput (null: still growing). */
  saturation: StressStep | null;
  /** The best throughput within the thresholds. */
  peakRps: number;
}

export const breaks = (step: StressStep, t: Thresholds) => step.errors > t.maxErrors || step.p99 > t.p99Ms;

function breakReason(step: StressStep, t: Thresholds): string {
  if (step.errors > t.maxErrors) return `${step.errors} errors at ${step.connections} connections`;
  return `p99 ${step.p99.toFixed(1)} ms > ${t.p99Ms} ms at ${step.connections} connections`;
}

export function findKnee(steps: StressStep[], t: Thresholds): Knee {
  const ordered = [...steps].sort((a, b) => a.connections - b.connections);
  let knee: StressStep | null = null;
  let broke: StressStep | null = null;
  for (const step of ordered) {
    if (breaks(step, t)) {
      broke = step;
      break;
    }
    knee = step;
  }
  const within = broke ? ordered.slice(0, ordered.indexOf(broke)) : ordered;
  let saturation: StressStep | null = null;
  for (let i = 1; i < ordered.length; i++) {
    const previous = ordered[i - 1] as StressStep;
    const step = ordered[i] as StressStep;
    if (previous.rps > 0 && step.rps < previous.rps * (1 + t.minGain) && step.p99 > previous.p99) {
      saturation = previous;
      break;
    }
  }
  return {
    knee,
    broke,
    reason: broke ? breakReason(broke, t) : `no threshold broken up to ${ordered.at(-1)?.connections ?? 0} connections`,
    saturation,
    peakRps: Math.max(0, ...within.map((s) => s.rps)),
  };
}
