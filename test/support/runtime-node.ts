/**
 * The built Node entry (dist/node/node.js, what `npm start` runs) as a real child process. Every
 * process and temporary directory made here is tracked: call `cleanupNodes` from the file's afterAll.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect } from "vitest";
import { captureOutput } from "./log-capture.js";
import { freePort } from "./ports.js";
import { createTestDatabase, type TestDatabase } from "./postgres.js";
import { type Answer, readAnswer } from "./problem.js";
import { deletePrefix, testPrefix } from "./redis.js";
import { REDIS_URL } from "./services.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const ENTRY = join(ROOT, "dist/node/node.js");
export const PUBLIC_URL = "https://auth.node.test";
export const ADMIN_KEY = `node-admin-${randomBytes(24).toString("hex")}`;
export const ENCRYPTION_KEYS = `k1:${randomBytes(32).toString("base64")}`;
const START_TIMEOUT_MS = 45_000;
export const PROCESS_TEST_MS = 90_000;

/** The variables of a built server on a test database and Redis prefix of its own; `extra` adds or replaces. */
export function serverEnv(
  databaseUrl: string,
  prefix: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    APP_ENV: "test",
    PUBLIC_URL,
    DATABASE_URL: databaseUrl,
    REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    BOOTSTRAP_ADMIN_KEY: ADMIN_KEY,
    ENCRYPTION_KEYS,
    ...extra,
  };
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface NodeProcess {
  child: ChildProcess;
  base: string;
  port: number;
  output(): string;
  exited: Promise<Exit>;
  hasExited(): boolean;
}

const children: NodeProcess[] = [];
const tempDirs: string[] = [];

/** Spawns the entry with exactly these variables (nothing inherited but PATH). */
export async function spawnNode(env: Record<string, string>): Promise<NodeProcess> {
  const port = Number(env.PORT ?? (await freePort()));
  const child = spawn(process.execPath, [ENTRY], {
    cwd: ROOT,
    // No load balancer to wait for: SIGTERM closes the listener at once unless a test asks for a drain delay.
    env: { PATH: process.env.PATH ?? "", PORT: String(port), HOST: "127.0.0.1", SHUTDOWN_DRAIN_DELAY: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  let done = false;
  // "close", not "exit": by then stdout/stderr are fully read.
  const exited = new Promise<Exit>((resolve) =>
    child.once("close", (code, signal) => {
      done = true;
      captureOutput("node", output);
      resolve({ code, signal });
    }),
  );
  const proc = { child, port, base: `http://127.0.0.1:${port}`, output: () => output, exited, hasExited: () => done };
  children.push(proc);
  return proc;
}

/** Spawns and waits (bounded) until /healthz answers 200; fails with the child's output otherwise. */
export async function startNode(env: Record<string, string>): Promise<NodeProcess> {
  const proc = await spawnNode(env);
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (proc.hasExited()) {
      const { code, signal } = await proc.exited;
      // The port went to another process between freePort() and the bind: once more on another.
      if (env.PORT === undefined && proc.output().includes("EADDRINUSE")) return startNode(env);
      throw new Error(`node exited (code ${code}, signal ${signal}) before serving; output:\n${proc.output()}`);
    }
    try {
      const response = await fetch(`${proc.base}/healthz`, { signal: AbortSignal.timeout(1_000) });
      await response.body?.cancel();
      // Its own "listening" line too: another process may have taken the port before it bound.
      if (response.status === 200 && proc.output().includes('"event":"listening"')) return proc;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  proc.child.kill("SIGKILL");
  throw new Error(`node did not answer /healthz within ${START_TIMEOUT_MS} ms; output:\n${proc.output()}`);
}

/** Sends `signal` and resolves how the process ended and how long it took (SIGKILL after `timeoutMs`). */
export async function stop(proc: NodeProcess, signal: NodeJS.Signals = "SIGTERM", timeoutMs = 5_000) {
  const started = Date.now();
  proc.child.kill(signal);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeoutMs);
  });
  const result = await Promise.race([proc.exited, timedOut]);
  clearTimeout(timer);
  if (result === "timeout") {
    proc.child.kill("SIGKILL");
    await proc.exited;
    throw new Error(`node did not exit within ${timeoutMs} ms of ${signal}; output:\n${proc.output()}`);
  }
  return { ...result, ms: Date.now() - started };
}

/** Waits (bounded) for a process that should end on its own. */
export async function exitOf(proc: NodeProcess, timeoutMs = 15_000): Promise<Exit> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still running after ${timeoutMs} ms:\n${proc.output()}`)), timeoutMs);
  });
  try {
    return await Promise.race([proc.exited, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

export async function call(proc: Pick<NodeProcess, "base">, path: string, init: RequestInit = {}): Promise<Answer> {
  return readAnswer(await fetch(`${proc.base}${path}`, { ...init, signal: AbortSignal.timeout(10_000) }));
}

export const adminHeaders = (key: string) => ({ Authorization: `Bearer ${key}`, "Content-Type": "application/json" });
export const createTenant = (proc: NodeProcess, body: string, headers: Record<string, string>) =>
  call(proc, "/v1/admin/tenants", { method: "POST", body, headers });

/** A fresh temporary directory, removed by `cleanupNodes`. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

/** Kills every process still running, waits for them, and removes the temporary directories. */
export async function cleanupNodes(): Promise<void> {
  for (const proc of children) {
    if (!proc.hasExited()) proc.child.kill("SIGKILL");
  }
  await Promise.allSettled(children.map((proc) => exitOf(proc, 10_000)));
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
}

/**
 * The built server for the enclosing describe, on its own test database and Redis prefix: started
 * before its tests, stopped and cleaned up after them. Read the fields inside tests and hooks.
 */
export function nodeOnPostgresAndRedis() {
  const handle = {
    database: undefined as unknown as TestDatabase,
    prefix: "",
    server: undefined as unknown as NodeProcess,
    /** The server's environment, for starting another one on the same stores. */
    env: () => serverEnv(handle.database.url, handle.prefix),
  };
  beforeAll(async () => {
    expect(existsSync(ENTRY), `${ENTRY} is missing: run npm run build:node`).toBe(true);
    handle.database = await createTestDatabase();
    handle.prefix = testPrefix();
    handle.server = await startNode(handle.env());
  }, 60_000);
  afterAll(async () => {
    if (handle.server && !handle.server.hasExited()) await stop(handle.server).catch(() => {});
    if (handle.prefix) await deletePrefix(handle.prefix);
    await handle.database?.drop();
  }, 30_000);
  return handle;
}
