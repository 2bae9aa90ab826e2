/**
 * `--stress`: one flow on the Node server with more and more connections
 * (1, 2, 5, 10, 25, 50, 100, 200, 400, … up to --max-connections), each step
 * bounded in time and requests, until a step breaks a threshold (any error,
 * or p99 above --p99-limit); then the knee (bench/knee.ts). Only requests up
 * to the knee must all succeed: failures at the breaking step are the
 * finding, not a fault of the run. Chains and logs are checked as always.
 */
import { Chains, checkChains } from "./chains.js";
import { type ServiceKeys, serviceKeys, signUpUsers } from "./fixtures.js";
import { apiKeyVerifyFlow, getFlow, introspectFlow, loginFlow, refreshFlow } from "./flows.js";
import { breaks, findKnee, type StressStep } from "./knee.js";
import type { Flow } from "./load.js";
import { type RunPart, refreshOf } from "./node-run.js";
import { startNodeServer } from "./node-server.js";
import type { BenchOptions } from "./options.js";
import { runPhase } from "./phase.js";
import type { Progress } from "./progress.js";
import { rawArgon2 } from "./raw.js";
import { rawSigning } from "./references.js";
import type { EndpointResult, RawLimit, StressResult } from "./results.js";
import { withDatabase } from "./support.js";

const LADDER = [1, 2, 5, 10, 25, 50, 100, 200, 400, 800, 1_200, 1_600, 2_000];
/** Requests a step may make per second of its time budget (a bound well above what 2 cores serve). */
const MAX_RPS = 20_000;

export function ladder(max: number): number[] {
  const steps = LADDER.filter((n) => n < max);
  return [...steps, max];
}

function flowFor(
  name: string,
  tenant: string,
  chains: Chains,
  users: { email: string; password: string }[],
  keys?: ServiceKeys,
): Flow {
  switch (name) {
    case "login":
      return loginFlow(tenant, users, chains);
    case "introspect":
      return introspectFlow(tenant, keys?.caller ?? "", () => chains.live().map((c) => c.access), "Bearer");
    case "verify":
      return apiKeyVerifyFlow(tenant, keys?.caller ?? "", [keys?.hit ?? ""]);
    case "jwks":
      return getFlow(`/t/${tenant}/.well-known/jwks.json`);
    default:
      return refreshFlow(tenant, chains);
  }
}

export function runStress(options: BenchOptions, progress: Progress): Promise<RunPart & { stress: StressResult }> {
  const { flow: name, p99Ms, maxConnections, stepS } = options.stress;
  const thresholds = { p99Ms, maxErrors: 0, minGain: 0.05 };
  return withDatabase(async (databaseUrl) => {
    const raw: Record<string, RawLimit> = {};
    if (name === "login") raw.argon2 = await rawArgon2(options.sizes.rawCpuS);
    if (name === "refresh") raw.sign = rawSigning(options.alg, options.sizes.rawCpuS);
    const server = await startNodeServer(
      databaseUrl,
      "bench",
      { REFRESH_GRACE_PERIOD: `${options.graceS}s` },
      { signingAlg: options.alg },
    );
    try {
      const t = server.tenant;
      progress.note("fixtures…");
      const users = await signUpUsers(server, 50);
      const keys = name === "introspect" || name === "verify" ? await serviceKeys(server, databaseUrl, 0) : undefined;
      const chains = new Chains();
      // Refresh needs a chain per connection, and a few more so no client waits for one.
      const sessions = name === "refresh" ? maxConnections * 2 + 10 : 20;
      const setup = await runPhase(
        server,
        {
          key: "stress.setup.login",
          label: `POST /t/{t}/v1/login (${sessions} sessions for the ramp)`,
          flow: loginFlow(t, users, chains),
          connections: 4,
          maxRequests: sessions,
          durationS: sessions,
        },
        progress,
      );
      const endpoints: EndpointResult[] = [setup];
      const steps: StressStep[] = [];
      const flow = flowFor(name, t, chains, users, keys);
      for (const connections of ladder(maxConnections)) {
        const result = await runPhase(
          server,
          {
            key: `stress.${name}.c${connections}`,
            label: `${name} at ${connections} connections`,
            flow,
            connections,
            warmup: Math.min(connections * 4, 2_000),
            maxRequests: Math.ceil(stepS * MAX_RPS),
            durationS: stepS,
            ...(raw.argon2 || raw.sign ? { raw: (raw.argon2 ?? raw.sign) as RawLimit } : {}),
          },
          progress,
        );
        endpoints.push(result);
        const step = { connections, rps: result.rps, p99: result.latency.p99, errors: result.errors };
        steps.push(step);
        if (breaks(step, thresholds)) break;
      }
      const knee = findKnee(steps, thresholds);
      progress.note(`checking ${chains.size} refresh chains…`);
      const check = await checkChains(chains, refreshOf(server));
      await server.close();
      const { lines, errors, errorLines } = server.logs;
      return {
        raw,
        endpoints,
        // Failures at the step that broke the ramp are its finding: judged by the thresholds, not correctness.
        unjudged: knee.broke ? [`stress.${name}.c${knee.broke.connections}`] : [],
        figures: [],
        resources: { redis: {} },
        chains: { node: check },
        logs: { node: { lines, errors, samples: errorLines } },
        stress: { flow: name, thresholds, steps, knee },
      };
    } finally {
      await server.close();
    }
  });
}
