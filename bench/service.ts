/**
 * Service-to-service figures for `npm run bench` (run by cpu.ts, on its
 * database), on the built Node server with real Postgres and Redis:
 *   - POST /t/{tenant}/v1/api-keys/verify, for a cache hit (the same valid key
 *     again and again: the Redis verification cache answers) and a cache miss
 *     (distinct valid keys, each verified once: the database answers, the
 *     result is cached, and the key's first use writes `last_used_at`);
 *   - POST /t/{tenant}/v1/introspect, for an access token (signature and the
 *     Redis blocklist) and a refresh token (hint refresh_token; the session in
 *     Redis).
 * Each: requests per server CPU-second (CONCURRENCY clients, after a
 * warm-up) and latency p50/p99 at LATENCY_CLIENTS clients. Every request
 * also verifies the caller's own API key (a cache hit after its first use).
 * Misses use distinct keys rather than a tiny API_KEY_CACHE_TTL, which would
 * make the caller's key miss on every request too.
 * Figures are printed, not asserted.
 */
import pg from "pg";
import { type BenchServer, CONCURRENCY, inParallel, percentile, printLine, tokensOf, withServer } from "./support.js";

const WARMUP = Number(process.env.BENCH_SERVICE_WARMUP ?? 300);
const REQUESTS = Number(process.env.BENCH_SERVICE_REQUESTS ?? 3_000);
const LATENCY_CLIENTS = 20;
const LATENCY_REQUESTS = Number(process.env.BENCH_SERVICE_LATENCY_REQUESTS ?? 2_000);
/** Distinct keys for each cache-miss phase (CPU, latency); the warm-up takes a fifth of this more. */
const MISS_KEYS = Number(process.env.BENCH_MISS_KEYS ?? 1_000);
const KEY_CREATE_CONCURRENCY = 4;
const CALLER_SCOPES = ["api_keys:verify", "tokens:introspect"];
const CREDENTIALS = { email: "service-admin@bench.test", password: "correct horse battery staple" };

/** How many calls each phase makes. */
interface Phases {
  warmup: number;
  requests: number;
  latency: number;
}

interface Figure extends Phases {
  perCpuSecond: number;
  p50: number;
  p99: number;
}

export interface ServiceFigures {
  verifyHit: Figure;
  verifyMiss: Figure;
  introspectAccess: Figure;
  introspectRefresh: Figure;
}

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/**
 * `call(i)` for the warm-up, then the CPU phase (CONCURRENCY clients, the
 * server's CPU time over it, background work included), then the latency
 * phase (LATENCY_CLIENTS clients). `i` runs on across the phases, so a call
 * that must not repeat (a cache miss) can take the `i`th of distinct inputs.
 */
async function measure(server: BenchServer, phases: Phases, call: (i: number) => Promise<void>): Promise<Figure> {
  const { warmup, requests, latency } = phases;
  await inParallel(warmup, CONCURRENCY, (i) => call(i));
  await server.settle();
  const before = server.cpu();
  await inParallel(requests, CONCURRENCY, (i) => call(warmup + i));
  await server.settle();
  const perCpuSecond = requests / (server.cpu() - before);

  const latencies: number[] = [];
  await inParallel(latency, LATENCY_CLIENTS, async (i) => {
    const started = performance.now();
    await call(warmup + requests + i);
    latencies.push(performance.now() - started);
  });
  latencies.sort((a, b) => a - b);
  return { ...phases, perCpuSecond, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

/** Signs up a user, makes them admin in the database and logs in again: resolves that login's tokens. */
async function adminLogin(server: BenchServer, databaseUrl: string) {
  const signup = await server.post(`/t/${server.tenant}/v1/signup`, CREDENTIALS, 201);
  const userId = (signup.user as { id?: unknown } | undefined)?.id;
  if (typeof userId !== "string") throw new Error(`signup answered without user.id: ${JSON.stringify(signup)}`);
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const updated = await db.query(`UPDATE users SET scopes = '["admin"]'::jsonb WHERE id = $1`, [userId]);
    if (updated.rowCount !== 1) throw new Error(`making user ${userId} admin updated ${updated.rowCount} rows`);
  } finally {
    await db.end();
  }
  return tokensOf(await server.post(`/t/${server.tenant}/v1/login`, CREDENTIALS), "login");
}

/** `count` new API keys of the admin (access token `owner`) with the caller's scopes. */
async function createKeys(server: BenchServer, owner: string, count: number, name: string): Promise<string[]> {
  const keys: string[] = [];
  await inParallel(count, KEY_CREATE_CONCURRENCY, async (i) => {
    const body = await server.post(
      `/t/${server.tenant}/v1/api-keys`,
      { name: `${name}-${i}`, scopes: CALLER_SCOPES },
      201,
      bearer(owner),
    );
    if (typeof body.key !== "string" || !body.key.startsWith("sk_"))
      throw new Error(`POST /v1/api-keys answered without a key: ${JSON.stringify(body)}`);
    keys[i] = body.key;
  });
  return keys;
}

export function serviceFigures(databaseUrl: string): Promise<ServiceFigures> {
  return withServer(databaseUrl, "service", async (server) => {
    const tokens = await adminLogin(server, databaseUrl);
    const [caller = "", hitKey = ""] = await createKeys(server, tokens.access_token, 2, "caller");
    const missWarmup = Math.ceil(MISS_KEYS / 5);
    const missKeys = await createKeys(server, tokens.access_token, missWarmup + 2 * MISS_KEYS, "miss");
    const asCaller = bearer(caller);

    const verify = async (key: string) => {
      const body = await server.post(`/t/${server.tenant}/v1/api-keys/verify`, { key }, 200, asCaller);
      if (body.valid !== true) throw new Error(`a valid key did not verify: ${JSON.stringify(body)}`);
    };
    const introspect = async (token: string, type: string, hint?: string) => {
      const body = await server.post(
        `/t/${server.tenant}/v1/introspect`,
        hint ? { token, token_type_hint: hint } : { token },
        200,
        asCaller,
      );
      if (body.active !== true || body.token_type !== type)
        throw new Error(`a live ${type} token did not introspect as active: ${JSON.stringify(body)}`);
    };

    const repeated = { warmup: WARMUP, requests: REQUESTS, latency: LATENCY_REQUESTS };
    const verifyHit = await measure(server, repeated, () => verify(hitKey));
    const verifyMiss = await measure(server, { warmup: missWarmup, requests: MISS_KEYS, latency: MISS_KEYS }, (i) =>
      verify(missKeys[i] as string),
    );
    const introspectAccess = await measure(server, repeated, () => introspect(tokens.access_token, "Bearer"));
    const introspectRefresh = await measure(server, repeated, () =>
      introspect(tokens.refresh_token, "refresh_token", "refresh_token"),
    );
    return { verifyHit, verifyMiss, introspectAccess, introspectRefresh };
  });
}

export function printServiceFigures(figures: ServiceFigures): void {
  const print = (label: string, figure: Figure) =>
    printLine(
      label,
      `${figure.perCpuSecond.toFixed(1)} per server CPU-second (${CONCURRENCY} clients, ${figure.requests} requests); ` +
        `p50 ${figure.p50.toFixed(2)} ms, p99 ${figure.p99.toFixed(2)} ms (${LATENCY_CLIENTS} clients, ${figure.latency} requests)`,
    );
  console.log("\nService benchmarks (the Node server on real Postgres and Redis; each request also verifies");
  console.log("the caller's own API key, a cache hit):");
  print("POST /v1/api-keys/verify, cache hit:", figures.verifyHit);
  print("POST /v1/api-keys/verify, cache miss:", figures.verifyMiss);
  console.log(
    `    (misses: ${figures.verifyMiss.warmup + figures.verifyMiss.requests + figures.verifyMiss.latency} distinct valid keys created beforehand, each verified once, ` +
      "with the default cache TTL; each miss reads the key and its owner from Postgres, caches the result and writes the key's last_used_at)",
  );
  print("POST /v1/introspect, access token:", figures.introspectAccess);
  print("POST /v1/introspect, refresh token:", figures.introspectRefresh);
}
