/**
 * Shared by the `npm run bench` CPU scripts (cpu.ts, refresh.ts, service.ts):
 * CPU clocks, a bounded-concurrency loop, percentiles, a migrated temporary
 * database, and the built Node server (dist/node/node.js) as a child process
 * on real Postgres and Redis, with its own Redis key prefix.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { Redis } from "ioredis";
import pg from "pg";
import { migratePostgres } from "../src/adapters/postgres/migrate-pg.js";
import { LIMIT_NAMES } from "../src/core/rate-limit/limits.js";

export const POSTGRES = process.env.TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
export const REDIS = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
/** Concurrent clients of the CPU figures. */
export const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 2);
const TICKS_PER_SECOND = 100; // getconf CLK_TCK on Linux
const START_TIMEOUT_MS = 30_000;
const REQUEST_TIMEOUT_MS = 30_000;

export const cpuSeconds = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
};
/** utime + stime of another process, from /proc (Linux). */
export const processCpuSeconds = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
};

export const pct = (a: number, b: number) => `${((a / b) * 100).toFixed(1)}%`;
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** The `p`th percentile of ascending `sorted` (nearest rank). */
export const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
/** One figure line of the bench output: label padded to a column, then the value. */
export const printLine = (label: string, value: string) => console.log(`  ${label.padEnd(41)}${value}`);

export interface TokenResponse {
  access_token: string;
  refresh_token: string;
  session_id: string;
}

/** The tokens of a signup, login or refresh response; throws (with the body) when they are missing. */
export function tokensOf(body: Record<string, unknown>, what: string): TokenResponse {
  const { access_token, refresh_token, session_id } = body;
  if (typeof access_token !== "string" || typeof refresh_token !== "string" || typeof session_id !== "string") {
    throw new Error(`${what} answered without tokens: ${JSON.stringify(body)}`);
  }
  return { access_token, refresh_token, session_id };
}

/** Runs `work(0..count-1)` with at most `concurrency` calls in flight. */
export async function inParallel(
  count: number,
  concurrency: number,
  work: (i: number, worker: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (next < count) await work(next++, worker);
    }),
  );
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A migrated temporary database, dropped afterwards whatever happens. */
export async function withDatabase<T>(work: (url: string) => Promise<T>): Promise<T> {
  const name = `authority_bench_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: POSTGRES });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  const url = new URL(POSTGRES);
  url.pathname = `/${name}`;
  try {
    await migratePostgres(url.toString(), `${process.cwd()}/migrations`);
    return await work(url.toString());
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  }
}

/** Every key under `prefix` (SCAN MATCH; the prefixes used here hold no glob characters). */
export async function scanKeys(redis: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = "0";
  do {
    const [next, batch] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== "0");
  return [...new Set(keys)];
}

export interface BenchServer {
  base: string;
  pid: number;
  /** The server's REDIS_KEY_PREFIX (fresh for each server). */
  prefix: string;
  /** The tenant created for this server. */
  tenant: string;
  /** POSTs JSON and returns the parsed body; throws (with the body) unless the status is `status`. */
  post<T = Record<string, unknown>>(
    path: string,
    body: unknown,
    status?: number,
    headers?: Record<string, string>,
  ): Promise<T>;
  /** The server's CPU seconds so far (utime + stime). */
  cpu(): number;
  /** Waits until the server is idle (work it does after responses, e.g. ledger writes, is done). */
  settle(): Promise<void>;
}

const running = new Set<ChildProcess>();
// A bench that dies half-way must not leave a server behind.
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/**
 * Runs the built Node server on `databaseUrl` and real Redis under a fresh key
 * prefix, creates the tenant `tenant`, runs `work`, then always stops the
 * server and deletes its Redis keys. Fails with the server's output when it
 * exits or does not answer /healthz in time.
 */
export async function withServer<T>(
  databaseUrl: string,
  tenant: string,
  work: (server: BenchServer) => Promise<T>,
  env: Record<string, string> = {},
): Promise<T> {
  const port = await freePort();
  const adminKey = randomBytes(24).toString("hex");
  const prefix = `bench:${randomBytes(4).toString("hex")}:`;
  const child = spawn(process.execPath, ["dist/node/node.js"], {
    env: {
      PATH: process.env.PATH ?? "",
      SHUTDOWN_DRAIN_DELAY: "0",
      APP_ENV: "test",
      PORT: String(port),
      HOST: "127.0.0.1",
      PUBLIC_URL: "https://bench.test",
      DATABASE_URL: databaseUrl,
      REDIS_URL: REDIS,
      REDIS_KEY_PREFIX: prefix,
      BOOTSTRAP_ADMIN_KEY: adminKey,
      ENCRYPTION_KEYS: `b1:${randomBytes(32).toString("base64")}`,
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString("utf8")).slice(-8_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
  let hasExited = false;
  void exited.then(() => {
    hasExited = true;
    running.delete(child);
  });
  const fail = (message: string) => new Error(`${message}; server output (tail):\n${output}`);

  const base = `http://127.0.0.1:${port}`;
  const request = async (path: string, body: unknown, status: number, headers: Record<string, string> = {}) => {
    let response: Response;
    try {
      response = await fetch(`${base}${path}`, {
        method: "POST",
        headers: { "Content-Type": "application/json", ...headers },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      throw fail(`POST ${path} failed: ${(error as Error).message}`);
    }
    const text = await response.text();
    if (response.status !== status)
      throw fail(`POST ${path} answered ${response.status} (expected ${status}): ${text}`);
    return JSON.parse(text);
  };

  try {
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      if (hasExited) throw fail(`the server exited (code ${child.exitCode}) before serving`);
      const ok = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(1_000) }).then(
        async (r) => {
          await r.arrayBuffer();
          return r.ok;
        },
        () => false,
      );
      if (ok) break;
      if (Date.now() > deadline) throw fail(`the server did not answer /healthz within ${START_TIMEOUT_MS} ms`);
      await sleep(100);
    }
    await request("/v1/admin/tenants", { slug: tenant, name: tenant }, 201, { Authorization: `Bearer ${adminKey}` });
    // The load comes from one address: lift the tenant's per-network limits so the figures
    // measure the work, not the limiter's refusals (every request still runs the GCRA script).
    const unlimited = { limit: 1_000_000, window_seconds: 1 };
    const limits = await fetch(`${base}/t/${tenant}/v1/admin/rate-limits`, {
      method: "PUT",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${adminKey}` },
      body: JSON.stringify(Object.fromEntries(LIMIT_NAMES.map((name) => [name, unlimited]))),
    });
    if (limits.status !== 200) throw fail(`PUT rate-limits answered ${limits.status}: ${await limits.text()}`);
    const pid = child.pid as number;
    const cpu = () => processCpuSeconds(pid);
    return await work({
      base,
      pid,
      prefix,
      tenant,
      post: (path, body, status = 200, headers = {}) => request(path, body, status, headers),
      cpu,
      async settle() {
        // Idle once the CPU clock (10 ms ticks) stops moving over 200 ms; bounded.
        let last = cpu();
        for (let i = 0; i < 25; i++) {
          await sleep(200);
          const now = cpu();
          if (now - last <= 0.01) return;
          last = now;
        }
      },
    });
  } finally {
    if (!hasExited) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    }
    const redis = new Redis(REDIS, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      const keys = await scanKeys(redis, prefix);
      for (let i = 0; i < keys.length; i += 500) await redis.unlink(...keys.slice(i, i + 500));
    } finally {
      redis.disconnect();
    }
  }
}
