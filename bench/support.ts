/**
 * Shared by the benchmark: the servers it uses (the suites' real Postgres
 * and Redis), CPU clocks (this process, another process through /proc),
 * memory of another process, a bounded-concurrency loop, a migrated
 * temporary database and deleting a run's Redis keys.
 */
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import type { Redis } from "ioredis";
import pg from "pg";
import { migratePostgres } from "../src/adapters/postgres/migrate-pg.js";
import { scanKeys } from "../test/support/redis.js";
import { POSTGRES_ADMIN_URL, REDIS_URL } from "../test/support/services.js";

/** The servers the test suites use (TEST_POSTGRES_URL, TEST_REDIS_URL), from their one definition. */
export const POSTGRES = POSTGRES_ADMIN_URL;
export const REDIS = REDIS_URL;

/** CPU seconds of this process (all threads). */
export const cpuSeconds = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
};

/**
 * CPU seconds of another process (all threads), in nanoseconds from each
 * thread's /proc schedstat (Linux): utime + stime in /proc/PID/stat count
 * 10 ms ticks, which read 0 for a short phase. Threads that exit between two
 * readings drop out of the sum; Node's and workerd's threads live as long as
 * the process.
 */
export const processCpuSeconds = (pid: number) => {
  let ns = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, "utf8").split(" ")[0]);
    } catch {
      // The thread exited while the list was read.
    }
  }
  return ns / 1e9;
};

/** Resident set size of another process in bytes, from /proc (Linux). */
export const processRssBytes = (pid: number) => {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return match ? Number(match[1]) * 1024 : Number.NaN;
};

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `work(0..count-1)` with at most `concurrency` calls in flight. */
export async function inParallel(
  count: number,
  concurrency: number,
  work: (i: number, worker: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, async (_, worker) => {
      while (next < count) await work(next++, worker);
    }),
  );
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A migrated temporary database, dropped afterwards whatever happens. */
export async function withDatabase<T>(work: (url: string, name: string) => Promise<T>): Promise<T> {
  const name = `authority_bench_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: POSTGRES });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  const url = new URL(POSTGRES);
  url.pathname = `/${name}`;
  try {
    await migratePostgres(url.toString(), `${process.cwd()}/migrations`);
    return await work(url.toString(), name);
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  }
}

/** Deletes every key under `prefix`. */
export async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  const keys = await scanKeys(redis, prefix);
  for (let i = 0; i < keys.length; i += 500) await redis.unlink(...keys.slice(i, i + 500));
}

/** Pids of the workerd processes Miniflare started (children of this process). */
export function workerdPids(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const comm = /\(([^)]*)\)/.exec(stat)?.[1];
      const ppid = Number(stat.split(") ")[1]?.split(" ")[1]);
      if (comm === "workerd" && ppid === process.pid) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** The workerd process that appeared since `before` was taken (undefined when none or several did). */
export function newWorkerdPid(before: number[]): number | undefined {
  const fresh = workerdPids().filter((pid) => !before.includes(pid));
  return fresh.length === 1 ? fresh[0] : undefined;
}

/**
 * The run's one encryption key: every server it starts and its in-process
 * parts seal under it, as replicas of one deployment do (a server refuses to
 * start on data sealed under a key it does not hold).
 */
export const BENCH_ENCRYPTION_KEY = { id: "b1", key: new Uint8Array(randomBytes(32)) };
