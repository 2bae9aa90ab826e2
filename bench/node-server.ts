/**
 * The built Node server (dist/node/node.js) as a child process on real
 * Postgres and Redis under a fresh key prefix, listening on 127.0.0.1 with
 * its default logging (one JSON line per request, read by a LogScan), with a
 * tenant whose limits are lifted. Its CPU and RSS come from /proc, its heap
 * from its own /metrics.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import type { SigningAlgorithm } from "../src/core/ports/database.js";
import {
  BENCH_ENCRYPTION_KEY,
  deleteKeys,
  freePort,
  processCpuSeconds,
  processRssBytes,
  REDIS,
  sleep,
} from "./support.js";
import { httpClient, LogScan, prepareTenant, settleCpu, type Target } from "./target.js";

const START_TIMEOUT_MS = 30_000;

export interface NodeServer extends Target {
  pid: number;
  /** The server's REDIS_KEY_PREFIX (fresh for each server). */
  prefix: string;
  databaseUrl: string;
  rss(): number;
  /** V8 heap used (bytes), from the server's /metrics (NaN when unavailable). */
  heapUsed(): Promise<number>;
  /** Creates another tenant (keys of `alg`, limits lifted) and answers the server as seen from it. */
  addTenant(slug: string, alg: SigningAlgorithm): Promise<NodeServer>;
  /** Stops the server (SIGTERM, then SIGKILL after 10 s) and deletes its Redis keys. */
  close(): Promise<void>;
}

const running = new Set<ChildProcess>();
// A bench that dies half-way must not leave a server behind.
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** How the server is started: extra `node` flags (e.g. --cpu-prof), another build, the algorithm of its tenant's keys. */
export interface ServerOptions {
  nodeArgs?: string[];
  /** The server's entry (default dist/node/node.js). */
  entry?: string;
  signingAlg?: SigningAlgorithm;
}

export async function startNodeServer(
  databaseUrl: string,
  tenant: string,
  env: Record<string, string> = {},
  options: ServerOptions = {},
  attempt = 1,
): Promise<NodeServer> {
  const port = await freePort();
  const adminKey = randomBytes(24).toString("hex");
  const prefix = `bench:${randomBytes(4).toString("hex")}:`;
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), options.entry ?? "dist/node/node.js"], {
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
      ENCRYPTION_KEYS: `${BENCH_ENCRYPTION_KEY.id}:${Buffer.from(BENCH_ENCRYPTION_KEY.key).toString("base64")}`,
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  const logs = new LogScan();
  // Its own "listening" line, not just a 200 on the port: another process may have taken the port
  // between freePort() and the bind (then this one exits with EADDRINUSE, and start is retried).
  let listening = false;
  let recent = ""; // the last bytes written, so a line split across chunks is still seen
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    recent = (recent + chunk).slice(-4_096);
    if (!listening && recent.includes('"event":"listening"')) listening = true;
    logs.write(chunk);
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => logs.write(chunk));
  let hasExited = false;
  const exited = new Promise<void>((resolve) =>
    child.once("close", () => {
      hasExited = true;
      running.delete(child);
      logs.end();
      resolve();
    }),
  );
  const describe = (message: string) => new Error(`${message}; server output (tail):\n${logs.tail()}`);
  const base = `http://127.0.0.1:${port}`;
  const client = httpClient(base, {}, describe);
  const pid = child.pid as number;
  const cpu = () => processCpuSeconds(pid);

  let closing: Promise<void> | undefined;
  const close = () => (closing ??= stop());
  const stop = async () => {
    if (!hasExited) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    }
    const redis = new Redis(REDIS, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await deleteKeys(redis, prefix);
    } finally {
      redis.disconnect();
    }
  };

  try {
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      if (hasExited) throw describe(`the server exited (code ${child.exitCode}) before serving`);
      const ok =
        listening &&
        (await client.call("GET", "/healthz").then(
          (a) => a.status === 200,
          () => false,
        ));
      if (ok) break;
      if (Date.now() > deadline) throw describe(`the server did not answer /healthz within ${START_TIMEOUT_MS} ms`);
      await sleep(100);
    }
    await prepareTenant(client, tenant, adminKey, options.signingAlg);
  } catch (error) {
    await close();
    if (attempt < 3 && logs.tail().includes("EADDRINUSE")) {
      return startNodeServer(databaseUrl, tenant, env, options, attempt + 1);
    }
    throw error;
  }

  const server: NodeServer = {
    runtime: "node",
    base,
    tenant,
    headers: {},
    pid,
    prefix,
    databaseUrl,
    logs,
    ...client,
    cpu,
    settle: () => settleCpu(cpu),
    rss: () => processRssBytes(pid),
    async heapUsed() {
      const answer = await client.call("GET", "/metrics").catch(() => undefined);
      const match = answer && /^authority_nodejs_heap_size_used_bytes\s+([0-9.e+]+)/m.exec(answer.body);
      return match ? Number(match[1]) : Number.NaN;
    },
    async addTenant(slug, alg) {
      await prepareTenant(client, slug, adminKey, alg);
      return { ...server, tenant: slug };
    },
    close,
  };
  return server;
}
