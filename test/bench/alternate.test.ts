import { describe, expect, it } from "vitest";
import { alternatingRounds, medianRound } from "../../bench/alternate.js";
import type { PhaseSpec } from "../../bench/phase.js";
import type { EndpointResult } from "../../bench/results.js";
import type { Target } from "../../bench/target.js";

const round = (key: string, perRequestMs: number, errors = 0): EndpointResult => ({
  key,
  label: key,
  runtime: "node",
  connections: 1,
  requests: 100,
  errors,
  errorSamples: errors ? { "GET 500": errors } : {},
  durationS: 1,
  rps: 100,
  latency: { count: 100, min: 1, mean: 1, p50: 1, p95: 1, p99: 1, max: 1 },
  histogram: [] as unknown as EndpointResult["histogram"],
  timeline: [],
  cpu: { seconds: perRequestMs / 10, perRequestMs, perCpuSecond: 1000 / perRequestMs, process: "node server" },
});

describe("the floor and the service in alternating rounds", () => {
  it("keeps the round with the median CPU per request, with every round's errors and figures", () => {
    const kept = medianRound([round("a", 0.03), round("a", 0.05, 2), round("a", 0.02), round("a", 0.09, 1)]);
    expect(kept.cpu?.perRequestMs).toBe(0.03); // the lower middle of 0.02, 0.03, 0.05, 0.09
    expect(kept.errors).toBe(3);
    expect(kept.errorSamples).toEqual({ "GET 500": 3 });
    expect(kept.notes).toEqual([
      "CPU per request in 4 alternating rounds: 30.0, 50.0, 20.0, 90.0 µs; the median round is shown",
    ]);
    expect(medianRound([round("a", 0.07), round("a", 0.01), round("a", 0.04)]).cpu?.perRequestMs).toBe(0.04);
    expect(() => medianRound([])).toThrow(/no rounds/);
  });

  it("measures the sides in turn, each warmed up only before its first round", async () => {
    const calls: string[] = [];
    const floor = { base: "floor" } as Target;
    const service = { base: "service" } as Target;
    const spec = (key: string, warmup: number) => ({ key, warmup }) as PhaseSpec;
    let ms = 0.01;
    const results = await alternatingRounds(
      [
        { target: floor, spec: spec("bare", 50) },
        { target: service, spec: spec("node", 7) },
      ],
      3,
      async (target, s) => {
        calls.push(`${target.base}:${s.key}:${s.warmup}`);
        ms += 0.01;
        return round(s.key, ms);
      },
    );
    expect(calls).toEqual([
      "floor:bare:50",
      "service:node:7",
      "floor:bare:0",
      "service:node:0",
      "floor:bare:0",
      "service:node:0",
    ]);
    expect(results.map((r) => [r.key, r.cpu?.perRequestMs.toFixed(2)])).toEqual([
      ["bare", "0.04"],
      ["node", "0.05"],
    ]);
  });
});
