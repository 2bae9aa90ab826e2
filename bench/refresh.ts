/**
 * Refresh-token figures for `npm run bench` (run by cpu.ts, on its database):
 *   - refreshes per server CPU-second (the built Node server on real Postgres
 *     and Redis, CONCURRENCY clients, each session's tokens chained), compared
 *     by cpu.ts with raw RS256 JWT signing measured in the same run;
 *   - refresh latency p50/p99 at 50 clients, each chaining its own session;
 *   - Redis bytes (MEMORY USAGE) and keys per live session, on a server with
 *     a fresh key prefix: after login, just after a refresh (grace keys live)
 *     and once the grace keys expired.
 * Figures are printed, not asserted.
 */
import { Redis } from "ioredis";
import {
  type BenchServer,
  CONCURRENCY,
  inParallel,
  pct,
  percentile,
  printLine,
  REDIS,
  scanKeys,
  sleep,
  tokensOf,
  withServer,
} from "./support.js";

const CPU_SESSIONS = 20;
const WARMUP = Number(process.env.BENCH_REFRESH_WARMUP ?? 300);
const REFRESHES = Number(process.env.BENCH_REFRESHES ?? 2_000);
const LATENCY_CLIENTS = 50;
const LATENCY_REQUESTS = Number(process.env.BENCH_LATENCY_REQUESTS ?? 2_000);
const MEMORY_SESSIONS = Number(process.env.BENCH_SESSIONS ?? 200);
/** Signups hash a password each (argon2id, in the server's thread pool). */
const SIGNUP_CONCURRENCY = 4;
const GRACE_MS = 10_000;
const PASSWORD = "correct horse battery staple";

/** `count` new users, one session each; resolves their first refresh tokens. */
async function signups(server: BenchServer, count: number): Promise<string[]> {
  const tokens: string[] = [];
  await inParallel(count, SIGNUP_CONCURRENCY, async (i) => {
    const body = await server.post(
      `/t/${server.tenant}/v1/signup`,
      { email: `u${i}@bench.test`, password: PASSWORD },
      201,
    );
    tokens[i] = tokensOf(body, "signup").refresh_token;
  });
  return tokens;
}

/**
 * `count` refreshes by `concurrency` clients over the sessions whose current
 * refresh tokens are `chains` (advanced in place). A client takes a session
 * no other client holds, spends its token and keeps the successor, so every
 * session's tokens form one chain. Resolves each request's latency in ms.
 */
async function refreshChains(
  server: BenchServer,
  chains: string[],
  count: number,
  concurrency: number,
): Promise<number[]> {
  if (concurrency > chains.length) throw new Error("fewer sessions than clients");
  const free = chains.map((_, i) => i);
  const latencies: number[] = [];
  await inParallel(count, concurrency, async () => {
    const i = free.shift() as number;
    const started = performance.now();
    const body = await server.post(`/t/${server.tenant}/v1/token/refresh`, { refresh_token: chains[i] });
    latencies.push(performance.now() - started);
    const next = tokensOf(body, "refresh").refresh_token;
    if (next === chains[i]) throw new Error("refresh returned the token it was given");
    chains[i] = next;
    free.push(i);
  });
  return latencies;
}

interface Usage {
  bytes: number;
  keys: number;
  /** Key count by kind (`sess`, `grace`, …: the key without the prefix, up to the first colon). */
  kinds: Record<string, number>;
}

/** MEMORY USAGE summed over every key under the prefix. */
async function redisUsage(redis: Redis, prefix: string): Promise<Usage> {
  const keys = await scanKeys(redis, prefix);
  const pipeline = redis.pipeline();
  for (const key of keys) pipeline.call("MEMORY", "USAGE", key);
  const replies = (await pipeline.exec()) ?? [];
  const usage: Usage = { bytes: 0, keys: 0, kinds: {} };
  replies.forEach(([error, bytes], i) => {
    if (error) throw error;
    if (bytes === null) return; // expired between SCAN and MEMORY USAGE
    const kind = (keys[i] ?? "").slice(prefix.length).split(":")[0] ?? "";
    usage.bytes += Number(bytes);
    usage.keys += 1;
    usage.kinds[kind] = (usage.kinds[kind] ?? 0) + 1;
  });
  return usage;
}

export interface RefreshFigures {
  perCpuSecond: number;
  p50: number;
  p99: number;
  memory: { sessions: number; afterLogin: Usage; afterRefresh: Usage; afterGrace: Usage };
}

function cpuAndLatency(url: string): Promise<Pick<RefreshFigures, "perCpuSecond" | "p50" | "p99">> {
  return withServer(url, "refresh", async (server) => {
    const chains = await signups(server, CPU_SESSIONS + LATENCY_CLIENTS);
    const cpuChains = chains.slice(0, CPU_SESSIONS);
    const latencyChains = chains.slice(CPU_SESSIONS);

    await refreshChains(server, cpuChains, WARMUP, CONCURRENCY);
    await server.settle();
    const before = server.cpu();
    await refreshChains(server, cpuChains, REFRESHES, CONCURRENCY);
    // The ledger write of each rotation follows its response: count it too.
    await server.settle();
    const perCpuSecond = REFRESHES / (server.cpu() - before);

    const latencies = (await refreshChains(server, latencyChains, LATENCY_REQUESTS, LATENCY_CLIENTS)).sort(
      (a, b) => a - b,
    );
    return { perCpuSecond, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
  });
}

function memory(url: string): Promise<RefreshFigures["memory"]> {
  return withServer(
    url,
    "memory",
    async (server) => {
      const redis = new Redis(REDIS, { lazyConnect: true, maxRetriesPerRequest: 1 });
      try {
        const chains = await signups(server, MEMORY_SESSIONS);
        const afterLogin = await redisUsage(redis, server.prefix);
        await refreshChains(server, chains, MEMORY_SESSIONS, SIGNUP_CONCURRENCY);
        const afterRefresh = await redisUsage(redis, server.prefix);
        await sleep(GRACE_MS + 1_000);
        const afterGrace = await redisUsage(redis, server.prefix);
        return { sessions: MEMORY_SESSIONS, afterLogin, afterRefresh, afterGrace };
      } finally {
        redis.disconnect();
      }
    },
    { REFRESH_GRACE_PERIOD: `${GRACE_MS}ms` },
  );
}

export async function refreshFigures(url: string): Promise<RefreshFigures> {
  const { perCpuSecond, p50, p99 } = await cpuAndLatency(url);
  return { perCpuSecond, p50, p99, memory: await memory(url) };
}

export function printRefreshFigures(figures: RefreshFigures, rawSigning: number): void {
  const { sessions, afterLogin, afterRefresh, afterGrace } = figures.memory;
  const perSession = (usage: Usage) => {
    const kinds = Object.entries(usage.kinds)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([kind, n]) => `${kind} ${n}`)
      .join(", ");
    return `${(usage.bytes / sessions).toFixed(0)} bytes, ${(usage.keys / sessions).toFixed(2)} keys (${kinds}) (target <= 512 bytes)`;
  };
  console.log("\nRefresh benchmarks (the Node server on real Postgres and Redis):");
  printLine(
    `POST /v1/token/refresh (${CONCURRENCY} clients):`,
    `${figures.perCpuSecond.toFixed(1)} per server CPU-second (${CPU_SESSIONS} chained sessions, ${REFRESHES} refreshes)`,
  );
  printLine(
    "refresh / raw RS256 signing:",
    `${pct(figures.perCpuSecond, rawSigning)} (target >= 85% of raw RS256 signing)`,
  );
  printLine(
    `refresh latency (${LATENCY_CLIENTS} clients):`,
    `p50 ${figures.p50.toFixed(2)} ms, p99 ${figures.p99.toFixed(2)} ms (${LATENCY_REQUESTS} requests)`,
  );
  console.log(`  Redis per live session (MEMORY USAGE over the prefix's keys / ${sessions} sessions):`);
  printLine("  after login:", perSession(afterLogin));
  printLine("  just after one refresh (grace keys):", perSession(afterRefresh));
  printLine("  after the grace window (steady state):", perSession(afterGrace));
}
