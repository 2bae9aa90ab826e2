/**
 * `--soak`: a fixed mixed load on the Node server for --duration: refresh
 * chains at --rate per second, introspection and API-key verification at
 * half that each, JWKS at a tenth, and a trickle of logins whose sessions
 * join the chains, all at once, each bounded in requests and time. The
 * server's and the bench's own memory are sampled throughout, with a line
 * each minute (bench/soak-watch.ts); the growth after a warm-up fifth is
 * reported. Every request must succeed and every chain stay intact, as in
 * the short run. Nothing here grows with the requests made: latencies go
 * into HDR histograms, the chain pool is bounded (SOAK_CHAINS), the logs are
 * scanned, not kept.
 */
import { Chains, checkChains } from "./chains.js";
import { serviceKeys, signUpUsers } from "./fixtures.js";
import { apiKeyVerifyFlow, getFlow, introspectFlow, loginFlow, refreshFlow } from "./flows.js";
import { type Flow, LoadWindow, runLoad } from "./load.js";
import { type RunPart, refreshOf } from "./node-run.js";
import { startNodeServer } from "./node-server.js";
import type { BenchOptions } from "./options.js";
import { endpointOf, runPhase } from "./phase.js";
import type { Progress } from "./progress.js";
import { postgresUsage, redisUsage } from "./resources.js";
import type { MemorySample, SoakResult } from "./results.js";
import { reportEveryS, watchSoak } from "./soak-watch.js";
import { slope } from "./stats.js";
import { sleep, withDatabase } from "./support.js";

/** Chains the soak keeps refreshing; past it, a chain retires after a successful refresh. */
const SOAK_CHAINS = 1_000;

/** Growth of a soak's memory samples after the first fifth (the warm-up). */
export function memoryGrowth(samples: MemorySample[], durationS: number): Omit<SoakResult, "samples" | "intervals"> {
  const fifth = Math.floor(samples.length / 5);
  const settled = samples.slice(fifth);
  const perMin = (key: Exclude<keyof MemorySample, "t">) =>
    slope(settled.filter((s) => Number.isFinite(s[key])).map((s) => ({ x: s.t / 60, y: s[key] / 1048576 }))) || 0;
  // The heap is sampled at random points of the collector's cycle (it swings by 100 MB between
  // collections under load); a leak raises what is left after collections: the window's floor.
  const heap = (from: number, to: number) =>
    Math.min(
      ...samples
        .slice(from, to)
        .map((s) => s.heapUsedBytes)
        .filter(Number.isFinite),
    );
  const early = heap(fifth, 2 * fifth || 1);
  const late = heap(samples.length - Math.max(1, fifth), samples.length);
  return {
    durationS,
    rssSlopeMBPerMin: perMin("rssBytes"),
    heapSlopeMBPerMin: perMin("heapUsedBytes"),
    heapGrowthPct: early > 0 ? ((late - early) / early) * 100 : Number.NaN,
    benchRssSlopeMBPerMin: perMin("benchRssBytes"),
    benchHeapSlopeMBPerMin: perMin("benchHeapUsedBytes"),
  };
}

export function runSoak(options: BenchOptions, progress: Progress): Promise<RunPart & { soak: SoakResult }> {
  const { durationS, rate, sampleS } = options.soak;
  return withDatabase(async (databaseUrl) => {
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
      const keys = await serviceKeys(server, databaseUrl, 0);
      const chains = new Chains(SOAK_CHAINS);
      const connections = Math.min(50, Math.max(2, Math.ceil(rate / 20)));
      const setup = await runPhase(
        server,
        {
          key: "soak.setup.login",
          label: "POST /t/{t}/v1/login (the first sessions)",
          flow: loginFlow(t, users, chains),
          connections: 4,
          maxRequests: connections * 2 + 20,
          durationS: 60,
        },
        progress,
      );
      const mix: { key: string; label: string; flow: Flow; rate: number; connections: number }[] = [
        {
          key: "soak.refresh",
          label: "POST /t/{t}/v1/token/refresh (chains)",
          flow: refreshFlow(t, chains),
          rate,
          connections,
        },
        {
          key: "soak.introspect",
          label: "POST /t/{t}/v1/introspect (access tokens)",
          flow: introspectFlow(t, keys.caller, () => chains.recentAccess(), "Bearer"),
          rate: rate / 2,
          connections: 5,
        },
        {
          key: "soak.apikey",
          label: "POST /t/{t}/v1/api-keys/verify (cache hits)",
          flow: apiKeyVerifyFlow(t, keys.caller, [keys.hit]),
          rate: rate / 2,
          connections: 5,
        },
        {
          key: "soak.jwks",
          label: "GET /t/{t}/.well-known/jwks.json",
          flow: getFlow(`/t/${t}/.well-known/jwks.json`),
          rate: rate / 10,
          connections: 2,
        },
        {
          key: "soak.login",
          label: "POST /t/{t}/v1/login (new sessions join the chains)",
          flow: loginFlow(t, users, chains),
          rate: rate / 100,
          connections: 1,
        },
      ];
      const windows = mix.map(() => new LoadWindow());
      const watch = watchSoak({
        server,
        windows,
        sampleS,
        reportS: reportEveryS(durationS),
        durationS,
        line: (text) => progress.line(text),
      });
      const cpuBefore = server.cpu();
      progress.start("soak (refresh)", Math.ceil(rate * durationS), durationS);
      const runs = await Promise.all(
        mix.map((m, i) => {
          const perSecond = Math.max(1, Math.round(m.rate));
          return runLoad({
            base: server.base,
            flow: m.flow,
            connections: Math.min(m.connections, perSecond),
            rate: perSecond,
            maxRequests: Math.ceil(perSecond * durationS * 1.1) + 10,
            durationS,
            window: windows[i],
            ...(i === 0
              ? { onTick: (done: number, errors: number, elapsed: number) => progress.tick(done, errors, elapsed) }
              : {}),
          });
        }),
      ).finally(() => watch.stop());
      const { samples, intervals } = await watch.stop();
      await server.settle();
      const cpu = server.cpu() - cpuBefore;
      progress.done();
      const endpoints = [
        setup,
        ...mix.map((m, i) => endpointOf({ ...m, maxRequests: 0, durationS }, server, runs[i] as (typeof runs)[0])),
      ];
      const total = runs.reduce((n, r) => n + r.requests, 0);
      for (const e of endpoints.slice(1))
        progress.note(
          `${e.key.padEnd(24)} ${e.requests} req  ${e.rps.toFixed(0)} req/s  p99 ${e.latency.p99.toFixed(2)} ms  ${e.errors} errors`,
        );
      await sleep(options.graceS * 1000 + 1_000);
      const resources = {
        redis: { steady: await redisUsage(server.prefix) },
        postgres: await postgresUsage(databaseUrl),
      };
      progress.note(`checking ${chains.size} refresh chains…`);
      const check = await checkChains(chains, refreshOf(server));
      await server.close();
      const { lines, errors, errorLines } = server.logs;
      return {
        raw: {},
        endpoints,
        figures: [
          {
            label: "server CPU over the soak (all flows)",
            value: `${cpu.toFixed(1)} s for ${total} requests = ${((cpu * 1000) / Math.max(1, total)).toFixed(3)} ms per request`,
          },
        ],
        resources,
        chains: { node: check },
        logs: { node: { lines, errors, samples: errorLines } },
        soak: { ...memoryGrowth(samples, durationS), samples, intervals },
      };
    } finally {
      await server.close();
    }
  });
}
