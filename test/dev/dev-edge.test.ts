/**
 * `npm run dev:edge` as a person runs it: on free ports, a database it must create and migrate, the
 * suite's Postgres and Redis (TEST_POSTGRES_URL, TEST_REDIS_URL). Once it prints its URL, a
 * signup, a login and /v1/me go through the Worker and both bridges, and the verification mail leaves
 * through the Postmark stand-in the mail settings of the command's environment name; then Ctrl-C
 * (SIGINT to the whole process group, as a terminal sends it) stops everything it started.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { GOOD_PASSWORD } from "../support/accounts.js";
import { freePort } from "../support/ports.js";
import { databaseUrl, dropDatabase } from "../support/postgres.js";
import { type PostmarkBridge, startPostmarkBridge } from "../support/postmark-bridge.js";
import { deletePrefix, scanKeys, testPrefix } from "../support/redis.js";
import { REDIS_URL, TEST_DATABASE_PREFIX } from "../support/services.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
/** esbuild, migrations, wrangler's own bundle and workerd's start, on a shared 2-core machine. */
const READY_MS = 150_000;

const database = `${TEST_DATABASE_PREFIX}${inject("testRunId")}_edge_${randomBytes(4).toString("hex")}`;
const prefix = testPrefix();
const dataDir = mkdtempSync(join(tmpdir(), "authority-dev-edge-test-"));
const ports = { worker: 0, neon: 0, upstash: 0 };
let child: ChildProcess;
let output = "";
let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
let base: string;
let postmark: PostmarkBridge;

/** Every process below `root` now (from /proc: each one's parent is the 4th field of its stat). */
function descendants(root: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // ended meanwhile
    }
  }
  const found: number[] = [];
  const walk = (pid: number) => {
    for (const [candidate, parent] of parents) {
      if (parent === pid) {
        found.push(candidate);
        walk(candidate);
      }
    }
  };
  walk(root);
  return found;
}

/** Still running: a zombie (ended, not yet reaped by init) runs nothing and counts as gone. */
const running = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
};

const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });

beforeAll(async () => {
  ports.worker = await freePort();
  ports.neon = await freePort();
  ports.upstash = await freePort();
  postmark = await startPostmarkBridge({ token: "dev-edge-postmark-token" });
  const env: Record<string, string | undefined> = {
    ...process.env,
    PORT: String(ports.worker),
    NEON_BRIDGE_PORT: String(ports.neon),
    UPSTASH_BRIDGE_PORT: String(ports.upstash),
    DATABASE_URL: databaseUrl(database),
    REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    DATA_DIR: dataDir,
    POSTMARK_SERVER_TOKEN: postmark.token,
    POSTMARK_API_URL: postmark.url,
    MAIL_FROM: "Dev Edge <no-reply@example.com>",
  };
  // As from a shell: vitest's NODE_ENV and no secrets of the environment's own.
  for (const name of ["NODE_ENV", "PUBLIC_URL", "BOOTSTRAP_ADMIN_KEY", "ENCRYPTION_KEYS"]) delete env[name];
  // A process group of its own, as a terminal gives a command: Ctrl-C signals all of it.
  child = spawn("npm", ["run", "--silent", "dev:edge"], { cwd: ROOT, env, detached: true, stdio: "pipe" });
  exited = new Promise((resolve) => child.once("close", (code, signal) => resolve({ code, signal })));
  const ready = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready within ${READY_MS} ms:\n${output}`)), READY_MS);
    const read = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      const url = /dev:edge ready at (\S+)/.exec(output)?.[1];
      if (url) {
        clearTimeout(timer);
        resolve(url);
      }
    };
    child.stdout?.on("data", read);
    child.stderr?.on("data", read);
    void exited.then(({ code }) => reject(new Error(`dev:edge ended (code ${code}) before it was ready:\n${output}`)));
  });
  const printed = await ready;
  expect(printed).toBe(`http://localhost:${ports.worker}`);
  base = `http://127.0.0.1:${ports.worker}`;
}, READY_MS + 10_000);

afterAll(async () => {
  // Only when a test failed before stopping it: nothing may outlive the file.
  if (child?.exitCode === null && child.pid) {
    for (const pid of [...descendants(child.pid), -child.pid]) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    await exited;
  }
  await postmark?.close();
  await deletePrefix(prefix);
  await dropDatabase(database);
  rmSync(dataDir, { recursive: true, force: true });
}, 60_000);

const json = { "Content-Type": "application/json" };

describe("npm run dev:edge", () => {
  it("serves the Worker on the given port, ready and pointing at the seeded default tenant", async () => {
    expect(output).toContain(`Created the database ${databaseUrl(database)}`);
    expect(output).toContain(`through the Neon-HTTP bridge at http://127.0.0.1:${ports.neon}/sql`);
    expect(output).toContain(`through the Upstash-REST bridge at http://127.0.0.1:${ports.upstash}`);
    expect(output).toContain(join(dataDir, "dev-secrets.json"));
    const ready = await fetch(`${base}/readyz`);
    expect(await ready.json()).toEqual({ status: "ok", checks: { postgres: "ok", redis: "ok" } });
    const home = (await (await fetch(`${base}/`, { headers: { Accept: "application/json" } })).json()) as {
      discovery: string;
    };
    expect(home.discovery).toBe(`http://localhost:${ports.worker}/t/default/.well-known/openid-configuration`);
  });

  it("signs up, logs in and answers /v1/me, with the data in the local Postgres and Redis", async () => {
    const email = `edge-${randomBytes(4).toString("hex")}@example.com`;
    const credentials = JSON.stringify({ email, password: GOOD_PASSWORD });
    const signup = await fetch(`${base}/t/default/v1/signup`, { method: "POST", headers: json, body: credentials });
    expect(signup.status, await signup.clone().text()).toBe(201);
    const login = await fetch(`${base}/t/default/v1/login`, { method: "POST", headers: json, body: credentials });
    expect(login.status).toBe(200);
    const { access_token: token } = (await login.json()) as { access_token: string };
    const me = await fetch(`${base}/t/default/v1/me`, { headers: { Authorization: `Bearer ${token}` } });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ email });
    // The mail settings reached the Worker: the verification mail went to POSTMARK_API_URL, not the log.
    await expect
      .poll(() => postmark.accepted.filter((mail) => mail.To === email), { timeout: 15_000 })
      .toEqual([expect.objectContaining({ From: "Dev Edge <no-reply@example.com>" })]);

    // Through the bridges onto the servers named by DATABASE_URL and REDIS_URL.
    const db = new pg.Client({ connectionString: databaseUrl(database) });
    await db.connect();
    // A fresh database: this one user (its email is sealed there, so counted, not looked up).
    const users = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM users");
    await db.end();
    expect(users.rows[0]?.n).toBe(1);
    const redis = new Redis(REDIS_URL);
    const keys = await scanKeys(redis, prefix);
    redis.disconnect();
    expect(keys.length).toBeGreaterThan(0);
  });

  it("stops the Worker, workerd and both bridges on Ctrl-C, leaving no process behind", async () => {
    const pid = child.pid as number;
    const started = descendants(pid);
    expect(started.length).toBeGreaterThanOrEqual(3);
    process.kill(-pid, "SIGINT");
    const exit = await Promise.race([
      exited,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`still running:\n${output}`)), 30_000)),
    ]);
    expect(output).toContain("dev:edge stopped: the Worker and both bridges are down.");
    expect(exit.code === 0 || exit.signal === "SIGINT", JSON.stringify(exit)).toBe(true);
    await expect.poll(() => started.filter(running), { timeout: 10_000 }).toEqual([]);
    for (const port of [ports.worker, ports.neon, ports.upstash]) expect(await accepts(port), String(port)).toBe(false);
    // The Worker's env file held the secrets: removed with the rest (wrangler named it at its start).
    const envFile = /Using secrets defined in (\S+worker\.env)/.exec(output)?.[1] as string;
    expect(envFile).toBeDefined();
    expect(existsSync(join(ROOT, envFile))).toBe(false);
  }, 60_000);
});
