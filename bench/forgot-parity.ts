/**
 * Forgot password as someone probing for accounts would time it: one request
 * at a time, addresses with and without an account interleaved in random
 * order, and a pause after each answer so the previous request's work after
 * its answer (lookup, token, mail) never overlaps the next one's timing.
 */
import { LatencyRecorder, type LatencySummary } from "./stats.js";
import type { Target } from "./target.js";

const PAUSE_MS = 25;

export async function forgotParity(
  target: Target,
  knownAddresses: string[],
  rounds: number,
): Promise<{ known: LatencySummary; unknown: LatencySummary; bodiesEqual: boolean }> {
  const times = { known: new LatencyRecorder(), unknown: new LatencyRecorder() };
  const bodies = new Set<string>();
  for (let i = 0; i < rounds; i++) {
    const order = Math.random() < 0.5 ? (["known", "unknown"] as const) : (["unknown", "known"] as const);
    for (const kind of order) {
      const email =
        kind === "known" ? (knownAddresses[i % knownAddresses.length] as string) : `nobody-${i}@parity.bench.test`;
      const started = performance.now();
      const answer = await target.call("POST", `/t/${target.tenant}/v1/password/forgot`, { email }, target.headers);
      times[kind].record(performance.now() - started);
      if (answer.status !== 202) throw new Error(`forgot answered ${answer.status}: ${answer.body}`);
      bodies.add(answer.body);
      await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
    }
  }
  return { known: times.known.summary(), unknown: times.unknown.summary(), bodiesEqual: bodies.size === 1 };
}
