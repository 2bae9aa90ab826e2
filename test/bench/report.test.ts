import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { LoadRun } from "../../bench/load.js";
import { endpointOf } from "../../bench/phase.js";
import { summary } from "../../bench/report/terminal.js";
import { publish, writeReport } from "../../bench/report/write.js";
import type { Results } from "../../bench/results.js";
import { machine } from "../../bench/runner.js";
import { LatencyRecorder } from "../../bench/stats.js";
import { Timeline } from "../../bench/timeline.js";
import { evaluateCorrectness, evaluateTargets, exitCode } from "../../bench/verdict.js";

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

function run(latencies: number[], errors = 0): LoadRun {
  const latency = new LatencyRecorder();
  const timeline = new Timeline(1);
  latencies.forEach((ms, i) => {
    latency.record(ms);
    timeline.answer((i / latencies.length) * 2, ms);
  });
  for (let i = 0; i < errors; i++) timeline.error(1.5);
  return {
    startedAt: Date.now(),
    durationS: 2,
    connections: 50,
    requests: latencies.length,
    errors,
    errorSamples: errors ? { "refresh: refresh answered 401: <invalid_grant>": errors } : {},
    latency,
    stepS: 1,
    timeline: timeline.close(),
  };
}

function sample(errors = 0): Results {
  const flow = { next: () => ({ method: "GET" as const, path: "/" }), check: () => undefined };
  const target = { runtime: "node" as const } as Parameters<typeof endpointOf>[1];
  const latencies = Array.from({ length: 400 }, (_, i) => 2 + (i % 40) * 0.5);
  const refresh = endpointOf(
    {
      key: "node.refresh",
      label: "POST /t/{t}/v1/token/refresh",
      flow,
      connections: 50,
      maxRequests: 400,
      durationS: 2,
      raw: { name: "RS256 signing (node:crypto, RSA-2048)", perCpuSecond: 1_000 },
    },
    target,
    run(latencies, errors),
    2,
  );
  const login = endpointOf(
    {
      key: "node.login",
      label: "POST /t/{t}/v1/login",
      flow,
      connections: 4,
      maxRequests: 40,
      durationS: 2,
      raw: { name: "argon2id", perCpuSecond: 100 },
    },
    target,
    run(latencies.slice(0, 40).map((l) => l * 10)),
    0.45,
  );
  const endpoints = [refresh, login];
  const chains = { node: { chains: 10, intact: 10, refreshes: 400, broken: [], inDoubt: [] } };
  const logs = { node: { lines: 440, errors: 0, samples: [] } };
  return {
    version: 1,
    mode: "short",
    startedAt: "2026-01-02T03:04:05.678Z",
    finishedAt: "2026-01-02T03:05:05.678Z",
    durationS: 60,
    machine: machine(),
    options: {},
    raw: { signRS256: { name: "RS256 signing (node:crypto, RSA-2048)", perCpuSecond: 1_000 } },
    endpoints,
    figures: [{ label: "access-token issuance <in-process>", value: "900 per CPU-second" }],
    resources: {
      redis: {
        steady: {
          keys: 11,
          bytes: 3_300,
          kinds: { sess: { keys: 10, bytes: 3_000 } },
          sessions: 10,
          bytesPerSession: 300,
        },
      },
      postgres: { rows: 10, totalBytes: 81_920, bytesPerRow: 8_192, auditRows: 20, auditBytesPerRow: 400 },
    },
    targets: evaluateTargets(endpoints, undefined, undefined, "RS256"),
    correctness: evaluateCorrectness(endpoints, chains, logs),
  };
}

describe("the report writer", () => {
  it("writes the results as JSON and a self-contained HTML report with charts", async () => {
    const dir = await mkdtemp(join(tmpdir(), "bench-report-"));
    dirs.push(dir);
    const results = sample();
    const written = await writeReport(results, dir);
    expect(JSON.parse(await readFile(written.json, "utf8"))).toEqual(JSON.parse(JSON.stringify(results)));
    const html = await readFile(written.html, "utf8");
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain("Throughput over time");
    expect(html).toContain("Latency distribution per endpoint");
    expect((html.match(/<svg /g) ?? []).length).toBeGreaterThanOrEqual(4); // 2 timelines + 2 histograms
    expect(html).toContain("node.refresh");
    expect(html).toContain("Correctness: OK");
    // Opens offline: nothing is loaded from anywhere, and no script runs.
    expect(html).not.toMatch(/<script(?![^>]*type="application\/json")/);
    expect(html).not.toMatch(/<link\b|<img\b|<iframe\b|@import|url\(/i);
    expect(html).not.toMatch(/\b(src|href)=/);
    // Text from the results is escaped.
    expect(html).toContain("access-token issuance &lt;in-process&gt;");
    expect(html).not.toContain("<in-process>");
    // The embedded data is the results.
    const embedded = /<script type="application\/json" id="results">(.*)<\/script>/s.exec(html)?.[1] ?? "";
    expect(JSON.parse(embedded).endpoints[0].key).toBe("node.refresh");
  });

  it("shows failures, and the run's exit status follows correctness only", async () => {
    const ok = sample();
    expect(exitCode(ok)).toBe(0);
    expect(ok.targets.find((t) => t.name.startsWith("refresh"))?.pass).toBe(false); // 200/s vs 1000/s raw: a miss, still exit 0
    const failed = sample(3);
    expect(exitCode(failed)).toBe(1);
    const dir = await mkdtemp(join(tmpdir(), "bench-report-"));
    dirs.push(dir);
    const written = await publish(failed, dir, true);
    expect(written.dir).toBe(join(dir, "2026-01-02T03-04-05Z-short"));
    const html = await readFile(join(dir, "latest", "report.html"), "utf8");
    expect(html).toContain("Correctness: FAILED");
    expect(html).toContain("Error samples");
    expect(html).toContain("errors per second");
    const text = summary(failed);
    expect(text).toMatch(/node\.refresh\s+50\s+400\s+\d+/);
    expect(text).toContain("[FAIL] no request failed");
    expect(text).toContain("[miss] refresh (RS256) per server CPU-second: 20.0% (200 vs 1000 per CPU-second)");
  });
});

describe("the targets", () => {
  const flow = { next: () => ({ method: "GET" as const, path: "/" }), check: () => undefined };
  const target = { runtime: "node" as const } as Parameters<typeof endpointOf>[1];
  /** An endpoint of 1,000 requests whose server spent `msPerRequest` CPU on each. */
  const endpoint = (key: string, msPerRequest: number, raw?: { name: string; perCpuSecond: number }) =>
    endpointOf(
      { key, label: key, flow, connections: 1, maxRequests: 1_000, durationS: 1, ...(raw ? { raw } : {}) },
      target,
      run(Array.from({ length: 1_000 }, () => 1)),
      msPerRequest,
    );
  const byName = (targets: ReturnType<typeof evaluateTargets>, start: string) =>
    targets.find((t) => t.name.startsWith(start));
  const es256 = { name: "ES256 signing (node:crypto, P-256)", perCpuSecond: 40_000 }; // 25 µs

  it("holds /healthz to twice bare Hono's CPU per request, measured in the same run", () => {
    const bare = endpoint("bare.healthz", 0.025);
    const pass = byName(evaluateTargets([bare, endpoint("node.healthz", 0.045)]), "GET /healthz");
    expect(pass).toMatchObject({ pass: true, wanted: "<= 2x (bare Hono /healthz 25.0 µs) = 50.0 µs" });
    expect(pass?.actual).toBe("45.0 µs (1.80x)");
    expect(byName(evaluateTargets([bare, endpoint("node.healthz", 0.088)]), "GET /healthz")).toMatchObject({
      pass: false,
      actual: "88.0 µs (3.52x)",
    });
  });

  it("holds an ES256 refresh to three times bare Hono's request plus a raw signature", () => {
    const bare = endpoint("bare.healthz", 0.025);
    const judge = (ms: number) =>
      byName(
        evaluateTargets([bare, endpoint("node.refresh", ms, es256)], undefined, undefined, "ES256"),
        "refresh (ES256)",
      );
    expect(judge(0.14)).toMatchObject({
      pass: true,
      wanted: "<= 3x (bare Hono /healthz 25.0 µs + raw ES256 sign 25.0 µs) = 150.0 µs",
    });
    expect(judge(0.42)).toMatchObject({ pass: false, actual: "420.0 µs (8.40x)" });
    // Without the floor's phase there is no figure, and no pass.
    const alone = evaluateTargets([endpoint("node.refresh", 0.1, es256)], undefined, undefined, "ES256");
    expect(byName(alone, "refresh (ES256)")).toMatchObject({ pass: false, actual: "not measured" });
  });

  it("holds the RS256 refresh to 60% of raw RS256 signing per CPU-second, on its own tenant or the measured one", () => {
    const rs256 = { name: "RS256 signing (node:crypto, RSA-2048)", perCpuSecond: 1_000 };
    const judge = (key: string, ms: number, alg: "ES256" | "RS256") =>
      byName(evaluateTargets([endpoint(key, ms, rs256)], undefined, undefined, alg), "refresh (RS256)");
    expect(judge("node.refresh.rs256", 1.6, "ES256")?.pass).toBe(true); // 625/s: 62.5%
    expect(judge("node.refresh.rs256", 1.8, "ES256")?.pass).toBe(false); // 556/s: 55.6%
    expect(judge("node.refresh", 1.6, "RS256")?.pass).toBe(true);
    // An RS256 run has no ES256 cost target.
    expect(
      byName(evaluateTargets([endpoint("node.refresh", 1.6, rs256)], undefined, undefined, "RS256"), "refresh (ES256)"),
    ).toBeUndefined();
  });

  it("holds login to 85% of raw argon2id verify per CPU-second", () => {
    const argon2 = { name: "argon2id", perCpuSecond: 50 };
    const judge = (ms: number) => byName(evaluateTargets([endpoint("node.login", ms, argon2)]), "login")?.pass;
    expect(judge(23)).toBe(true); // 43.5/s: 87%
    expect(judge(24)).toBe(false); // 41.7/s: 83%
  });
});
