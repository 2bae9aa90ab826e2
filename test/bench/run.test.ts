import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { Chain } from "../../bench/chains.js";
import { parseArgs, SHORT_SIZES } from "../../bench/options.js";
import { createProgress } from "../../bench/progress.js";
import { runBench } from "../../bench/runner.js";
import { exitCode } from "../../bench/verdict.js";

// The runner end to end with tiny numbers against the built Node server on real
// Postgres and Redis (no Worker): it must measure every flow, keep every chain,
// and catch a chain whose token was spent twice.
const TINY = {
  ...SHORT_SIZES,
  rawCpuS: 0.05,
  users: 3,
  loginConnections: 2,
  loginWarmup: 2,
  logins: 12,
  refreshConnections: 4,
  refreshWarmup: 20,
  refreshes: 120,
  serviceConnections: 2,
  serviceRequests: 30,
  missKeys: 4,
  getRequests: 20,
  floorRounds: 2,
  phaseS: 10, // the request budgets end each phase; time only bounds it
  sdkVerifications: 200,
  localVerifications: 200,
  workerdVerifications: 0,
};

describe.runIf(existsSync("dist/node/node.js"))("the benchmark runner, end to end (tiny)", () => {
  it("measures each flow and fails the chain check for a chain whose token was spent twice", async () => {
    const options = { ...parseArgs(["--no-worker", "--quiet"]), sizes: TINY, graceS: 1 };
    let victim: Chain | undefined;
    const results = await runBench(
      options,
      {
        async beforeCheck(server, chains) {
          // Spend one chain's token outside it, twice over: its successor's successor, then the
          // token itself again. That is reuse: the service revokes the session, and the chain's
          // recorded last token stops refreshing.
          victim = chains.live()[0] as Chain;
          const refresh = (token: string) =>
            server.call("POST", `/t/${server.tenant}/v1/token/refresh`, { refresh_token: token });
          const first = await refresh(victim.token);
          expect(first.status).toBe(200);
          const second = await refresh(JSON.parse(first.body).refresh_token);
          expect(second.status).toBe(200);
          expect((await refresh(victim.token)).status).toBe(401);
        },
      },
      createProgress(process.stderr, true),
    );

    const keys = results.endpoints.map((e) => e.key);
    expect(keys).toEqual([
      "node.login",
      "node.refresh",
      "node.refresh.rs256",
      "sdk.verify",
      "node.introspect.access",
      "node.introspect.refresh",
      "node.apikey.hit",
      "node.apikey.miss",
      "node.jwks",
      "bare.healthz",
      "node.healthz",
      "node.readyz",
      "node.unknown",
    ]);
    for (const e of results.endpoints) {
      expect(e.errors, `${e.key}: ${JSON.stringify(e.errorSamples)}`).toBe(0);
      expect(e.requests).toBeGreaterThan(0);
      expect(e.latency.p99).toBeGreaterThan(0);
      expect(e.cpu?.perRequestMs).toBeGreaterThan(0);
    }
    const refresh = results.endpoints.find((e) => e.key === "node.refresh");
    expect(refresh?.requests).toBe(120);
    expect(refresh?.raw?.ratio).toBeGreaterThan(0);
    expect(results.endpoints.find((e) => e.key === "node.refresh.rs256")?.requests).toBe(120);
    // The floor is the bare app's own process, not the service.
    expect(results.endpoints.find((e) => e.key === "bare.healthz")?.cpu?.process).toBe(
      "bare Hono on @hono/node-server",
    );
    expect(results.endpoints.find((e) => e.key === "node.healthz")?.cpu?.process).toBe("node server");
    // The floor and the service in alternating rounds, the median round of each kept.
    for (const key of ["bare.healthz", "node.healthz"])
      expect(results.endpoints.find((e) => e.key === key)?.notes?.at(-1)).toMatch(
        /in 2 alternating rounds: [\d.]+, [\d.]+ µs/,
      );
    expect(results.raw.argon2?.name).toMatch(/, [12] in flight\)$/);
    expect(Object.keys(results.raw).sort()).toEqual(["argon2", "signES256", "signRS256", "verify"]);
    // The four performance targets are judged (pass or miss) from this one run.
    const judged = results.targets.map((t) => t.name);
    for (const name of [
      "GET /healthz CPU per request",
      "refresh (ES256) CPU per request",
      "refresh (RS256) per server CPU-second",
      "login per server CPU-second",
    ]) {
      expect(judged).toContain(name);
      expect(results.targets.find((t) => t.name === name)?.actual).not.toBe("not measured");
    }
    expect(results.resources.redis.afterLogin?.bytesPerSession).toBeGreaterThan(0);
    expect(results.resources.postgres?.rows).toBeGreaterThan(0);

    const check = results.correctness.chains.node;
    expect(check?.chains).toBe(14); // 2 warm-up logins + 12
    expect(check?.broken).toHaveLength(1);
    expect(check?.broken[0]).toMatchObject({ id: victim?.id, sessionId: victim?.sessionId });
    expect(check?.broken[0]?.reason).toMatch(/last token: refresh answered 401/);
    const verdicts = Object.fromEntries(results.correctness.checks.map((c) => [c.name, c.ok]));
    expect(verdicts).toEqual({
      "no request failed": true,
      "every refresh chain intact (node)": false,
      "every refresh chain intact (node, RS256 tenant)": true,
      "no error in the logs (node)": true,
    });
    expect(results.correctness.ok).toBe(false);
    expect(exitCode(results)).toBe(1);
  }, 180_000);

  it("soaks: a mixed load at a fixed rate, memory sampled and a periodic line per period", async () => {
    const options = { ...parseArgs(["--soak", "--duration=6s", "--rate=20", "--quiet"]), graceS: 1 };
    const results = await runBench(options, {}, createProgress(process.stderr, true));
    expect(results.endpoints.map((e) => e.key)).toEqual([
      "soak.setup.login",
      "soak.refresh",
      "soak.introspect",
      "soak.apikey",
      "soak.jwks",
      "soak.login",
    ]);
    for (const e of results.endpoints) expect(e.errors, `${e.key}: ${JSON.stringify(e.errorSamples)}`).toBe(0);
    expect(results.endpoints.find((e) => e.key === "soak.refresh")?.requests).toBeGreaterThan(60);
    const soak = results.soak;
    expect(soak?.samples.length).toBeGreaterThanOrEqual(4);
    expect(soak?.samples.every((s) => s.rssBytes > 0 && s.benchRssBytes > 0 && s.benchHeapUsedBytes > 0)).toBe(true);
    // A line each 5 s (a tenth of a run under ten minutes, at least 5 s), then the last partial period.
    expect(soak?.intervals.length).toBeGreaterThanOrEqual(1);
    const first = soak?.intervals[0];
    expect(first?.rps).toBeGreaterThan(10);
    expect(first?.p99).toBeGreaterThan(0);
    expect(first?.errors).toBe(0);
    expect(results.correctness.ok).toBe(true);
  }, 120_000);
});
