/**
 * What a run concludes. Performance targets are printed as pass/miss only;
 * correctness (every request answered as expected, every refresh chain
 * intact, no error line in any service log) decides the exit status.
 */
import type { SigningAlgorithm } from "../src/core/ports/database.js";
import type { ChainCheck } from "./chains.js";
import type { Correctness, EndpointResult, Resources, Results, SoakResult, Target } from "./results.js";

const find = (endpoints: EndpointResult[], key: string) => endpoints.find((e) => e.key === key);
const pct = (ratio: number) => `${(ratio * 100).toFixed(1)}%`;

function ratioTarget(endpoints: EndpointResult[], key: string, name: string, wanted: number, of: string): Target {
  const endpoint = find(endpoints, key);
  const ratio = endpoint?.raw?.ratio;
  return {
    name,
    wanted: `>= ${pct(wanted)} of ${of}`,
    actual:
      ratio === undefined
        ? "not measured"
        : `${pct(ratio)} (${endpoint?.cpu?.perCpuSecond.toFixed(0)} vs ${endpoint?.raw?.perCpuSecond.toFixed(0)} per CPU-second)`,
    pass: ratio !== undefined && ratio >= wanted,
  };
}

const µs = (ms: number) => `${(ms * 1000).toFixed(1)} µs`;

/** `key`'s CPU per request at most `factor` times the sum of floors (ms per request each). */
function costTarget(endpoints: EndpointResult[], key: string, name: string, factor: number, floors: Floor[]): Target {
  const cost = find(endpoints, key)?.cpu?.perRequestMs;
  const floor = floors.reduce((sum, f) => sum + f.ms, 0);
  const of = floors.map((f) => `${f.name} ${µs(f.ms)}`).join(" + ");
  const measured = cost !== undefined && floors.every((f) => Number.isFinite(f.ms)) && floor > 0;
  return {
    name,
    wanted: `<= ${factor}x (${of})${measured ? ` = ${µs(factor * floor)}` : ""}`,
    actual: measured ? `${µs(cost)} (${(cost / floor).toFixed(2)}x)` : "not measured",
    pass: measured && cost <= factor * floor,
  };
}

interface Floor {
  name: string;
  ms: number;
}

/**
 * The performance targets of the run:
 *   - fixed cost: `GET /healthz` <= 2x bare Hono's, measured in the same run;
 *   - refresh on an ES256 (or EdDSA) tenant <= 3x (bare Hono's request + a raw
 *     node:crypto signature), everything on: limiter, reuse detection, ledger,
 *     log line, metrics;
 *   - RS256 refresh >= 60% and login >= 85% of their raw primitive per CPU-second;
 *   - and the run's errors, p99, Redis per session, soak heap growth.
 */
export function evaluateTargets(
  endpoints: EndpointResult[],
  resources?: Resources,
  soak?: SoakResult,
  alg: SigningAlgorithm = "ES256",
): Target[] {
  const targets: Target[] = [];
  const bare: Floor = {
    name: "bare Hono /healthz",
    ms: find(endpoints, "bare.healthz")?.cpu?.perRequestMs ?? Number.NaN,
  };
  if (find(endpoints, "node.healthz") && find(endpoints, "bare.healthz"))
    targets.push(costTarget(endpoints, "node.healthz", "GET /healthz CPU per request", 2, [bare]));
  const refresh = find(endpoints, "node.refresh");
  if (refresh?.raw && alg !== "RS256") {
    const sign: Floor = { name: `raw ${alg} sign`, ms: 1000 / refresh.raw.perCpuSecond };
    targets.push(costTarget(endpoints, "node.refresh", `refresh (${alg}) CPU per request`, 3, [bare, sign]));
  }
  const rs256 = alg === "RS256" ? "node.refresh" : "node.refresh.rs256";
  if (find(endpoints, rs256))
    targets.push(ratioTarget(endpoints, rs256, "refresh (RS256) per server CPU-second", 0.6, "raw RS256 signing"));
  if (find(endpoints, "node.login"))
    targets.push(ratioTarget(endpoints, "node.login", "login per server CPU-second", 0.85, "raw argon2id verify"));
  if (find(endpoints, "sdk.verify"))
    targets.push(ratioTarget(endpoints, "sdk.verify", "SDK verification per CPU-second", 0.8, "raw crypto.verify"));
  const errors = endpoints.reduce((n, e) => n + e.errors, 0);
  targets.push({ name: "errors", wanted: "0", actual: String(errors), pass: errors === 0 });
  if (refresh) {
    const at50 = refresh.connections === 50;
    targets.push({
      name: "p99 refresh at 50 concurrent clients",
      wanted: "< 25 ms",
      actual: `${refresh.latency.p99.toFixed(2)} ms${at50 ? "" : ` (at ${refresh.connections} clients)`}`,
      pass: at50 && refresh.latency.p99 < 25,
    });
  }
  const steady = resources?.redis.steady;
  if (steady) {
    targets.push({
      name: "Redis per live session (steady state)",
      wanted: "<= 512 bytes",
      actual: `${steady.bytesPerSession.toFixed(0)} bytes`,
      pass: steady.bytesPerSession <= 512,
    });
  }
  if (soak) {
    targets.push({
      name: "server heap floor growth over the soak (after warm-up)",
      wanted: "< 10%",
      actual: `${soak.heapGrowthPct.toFixed(1)}% (${soak.heapSlopeMBPerMin.toFixed(2)} MB/min heap, ${soak.rssSlopeMBPerMin.toFixed(2)} MB/min RSS)`,
      pass: Number.isFinite(soak.heapGrowthPct) && soak.heapGrowthPct < 10,
    });
  }
  return targets;
}

export function evaluateCorrectness(
  endpoints: EndpointResult[],
  chains: Record<string, ChainCheck>,
  logs: Correctness["logs"],
): Correctness {
  const checks: Correctness["checks"] = [];
  const failed = endpoints.filter((e) => e.errors > 0);
  checks.push({
    name: "no request failed",
    ok: failed.length === 0,
    detail:
      failed.length === 0
        ? `${endpoints.reduce((n, e) => n + e.requests, 0)} requests, all answered as expected`
        : failed.map((e) => `${e.key}: ${e.errors} (${Object.keys(e.errorSamples)[0] ?? "?"})`).join("; "),
  });
  for (const [runtime, check] of Object.entries(chains)) {
    checks.push({
      name: `every refresh chain intact (${runtime})`,
      ok: check.broken.length === 0 && check.chains > 0,
      detail:
        check.broken.length === 0
          ? `${check.chains} chains, ${check.refreshes} refreshes; each chain's last token still refreshes${check.retired ? ` (${check.retired} retired during the run right after a successful refresh)` : ""}`
          : `${check.broken.length} of ${check.chains} broken: ${check.broken
              .slice(0, 3)
              .map((b) => `chain ${b.id} (session ${b.sessionId}): ${b.reason}`)
              .join("; ")}`,
    });
  }
  for (const [runtime, log] of Object.entries(logs)) {
    checks.push({
      name: `no error in the logs (${runtime})`,
      ok: log.errors === 0,
      detail:
        log.errors === 0
          ? `${log.lines} lines, none at level error`
          : `${log.errors} error lines: ${log.samples[0]?.slice(0, 300)}`,
    });
  }
  return { ok: checks.every((c) => c.ok), checks, chains, logs };
}

/** The exit status of a run: 0 when correct, whatever the targets. */
export const exitCode = (results: Pick<Results, "correctness">) => (results.correctness.ok ? 0 : 1);
