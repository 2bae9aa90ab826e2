/**
 * The built Node entry (dist/node/node.js, what `npm start` runs) as a real child process: on the
 * real Postgres and Redis, on its embedded defaults (PGlite + in-process store), through a restart,
 * a SIGTERM, and a broken configuration.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/postgres.js";
import { deletePrefix, testPrefix } from "../support/redis.js";
import { REDIS_URL } from "../support/services.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const ENTRY = join(ROOT, "dist/node/node.js");
const PUBLIC_URL = "https://auth.node.test";
const ADMIN_KEY = `node-admin-${randomBytes(24).toString("hex")}`;
const ENCRYPTION_KEYS = `k1:${randomBytes(32).toString("base64")}`;
const START_TIMEOUT_MS = 45_000;
const PROCESS_TEST_MS = 90_000;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

interface NodeProcess {
  child: ChildProcess;
  base: string;
  port: number;
  output(): string;
  exited: Promise<Exit>;
  hasExited(): boolean;
}

const children: NodeProcess[] = [];

/** Spawns the entry with exactly these variables (nothing inherited but PATH). */
async function spawnNode(env: Record<string, string>): Promise<NodeProcess> {
  const port = Number(env.PORT ?? (await freePort()));
  const child = spawn(process.execPath, [ENTRY], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", PORT: String(port), HOST: "127.0.0.1", ...env },
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
      resolve({ code, signal });
    }),
  );
  const proc = { child, port, base: `http://127.0.0.1:${port}`, output: () => output, exited, hasExited: () => done };
  children.push(proc);
  return proc;
}

/** Spawns and waits (bounded) until /healthz answers 200; fails with the child's output otherwise. */
async function startNode(env: Record<string, string>): Promise<NodeProcess> {
  const proc = await spawnNode(env);
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (proc.hasExited()) {
      const { code, signal } = await proc.exited;
      throw new Error(`node exited (code ${code}, signal ${signal}) before serving; output:\n${proc.output()}`);
    }
    try {
      const response = await fetch(`${proc.base}/healthz`, { signal: AbortSignal.timeout(1_000) });
      await response.body?.cancel();
      if (response.status === 200) return proc;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  proc.child.kill("SIGKILL");
  throw new Error(`node did not answer /healthz within ${START_TIMEOUT_MS} ms; output:\n${proc.output()}`);
}

/** Sends `signal` and resolves how the process ended and how long it took (SIGKILL after `timeoutMs`). */
async function stop(proc: NodeProcess, signal: NodeJS.Signals = "SIGTERM", timeoutMs = 5_000) {
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
async function exitOf(proc: NodeProcess, timeoutMs = 15_000): Promise<Exit> {
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

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: Record<string, unknown>;
}

async function call(proc: NodeProcess, path: string, init: RequestInit = {}): Promise<Answer> {
  const response = await fetch(`${proc.base}${path}`, { ...init, signal: AbortSignal.timeout(10_000) });
  const text = await response.text();
  let json: Record<string, unknown> = {};
  if (/json/.test(response.headers.get("content-type") ?? "")) json = JSON.parse(text) as Record<string, unknown>;
  return { status: response.status, headers: response.headers, text, json };
}

const adminHeaders = (key: string) => ({ Authorization: `Bearer ${key}`, "Content-Type": "application/json" });
const createTenant = (proc: NodeProcess, body: string, headers: Record<string, string>) =>
  call(proc, "/v1/admin/tenants", { method: "POST", body, headers });

function expectProblem(answer: Answer, status: number, code: string): void {
  expect(answer.status, answer.text).toBe(status);
  expect(answer.headers.get("content-type")).toBe("application/problem+json");
  expect(answer.json).toMatchObject({ status, code, type: expect.any(String), title: expect.any(String) });
  expect(typeof answer.json.detail).toBe("string");
}

const tempDirs: string[] = [];

afterAll(async () => {
  for (const proc of children) {
    if (!proc.hasExited()) proc.child.kill("SIGKILL");
  }
  await Promise.allSettled(children.map((proc) => exitOf(proc, 10_000)));
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
}, 30_000);

describe("on Postgres and Redis", () => {
  let database: TestDatabase;
  let prefix: string;
  let server: NodeProcess;
  const env = () => ({
    APP_ENV: "test",
    PUBLIC_URL,
    DATABASE_URL: database.url,
    REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    BOOTSTRAP_ADMIN_KEY: ADMIN_KEY,
    ENCRYPTION_KEYS,
  });

  beforeAll(async () => {
    expect(existsSync(ENTRY), `${ENTRY} is missing: run npm run build`).toBe(true);
    database = await createTestDatabase();
    prefix = testPrefix();
    server = await startNode(env());
  }, 60_000);

  afterAll(async () => {
    if (server && !server.hasExited()) await stop(server).catch(() => {});
    if (prefix) await deletePrefix(prefix);
    await database?.drop();
  }, 30_000);

  it("logs that it listens on pg and redis", () => {
    const listening = server
      .output()
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((entry) => entry.event === "listening");
    expect(listening).toMatchObject({
      port: server.port,
      database: "pg",
      store: "redis",
      env: "test",
      public_url: PUBLIC_URL,
    });
  });

  it("answers /healthz", async () => {
    const answer = await call(server, "/healthz");
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ status: "ok" });
  });

  it("answers /readyz with both checks ok", async () => {
    const answer = await call(server, "/readyz");
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json).toEqual({ status: "ok", checks: { postgres: "ok", redis: "ok" } });
  });

  it("serves the OpenAPI 3.1 document and /docs", async () => {
    const doc = await call(server, "/openapi.json");
    expect(doc.status).toBe(200);
    expect(doc.json.openapi).toBe("3.1.0");
    expect(Object.keys(doc.json.paths as object)).toEqual(
      expect.arrayContaining(["/healthz", "/readyz", "/v1/admin/tenants"]),
    );
    const docs = await call(server, "/docs");
    expect(docs.status).toBe(200);
    expect(docs.headers.get("content-type")).toMatch(/^text\/html/);
  });

  it("echoes a well-formed X-Request-Id and replaces a malformed one", async () => {
    const good = await call(server, "/healthz", { headers: { "X-Request-Id": "node.REQ_42-a" } });
    expect(good.headers.get("x-request-id")).toBe("node.REQ_42-a");
    const bad = await call(server, "/healthz", { headers: { "X-Request-Id": "x".repeat(129) } });
    expect(bad.headers.get("x-request-id")).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it("creates a tenant (201, in Postgres), then 409 tenant_exists; 401 without the key", async () => {
    const slug = `nd-${randomBytes(4).toString("hex")}`;
    const created = await createTenant(server, JSON.stringify({ slug, name: "Node Tenant" }), adminHeaders(ADMIN_KEY));
    expect(created.status, created.text).toBe(201);
    expect(created.json).toMatchObject({ slug, name: "Node Tenant", issuer: `${PUBLIC_URL}/t/${slug}` });

    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const { rows } = await client.query("SELECT id, name FROM tenants WHERE slug = $1", [slug]);
      expect(rows).toEqual([{ id: created.json.id, name: "Node Tenant" }]);
    } finally {
      await client.end();
    }

    expectProblem(
      await createTenant(server, JSON.stringify({ slug, name: "Again" }), adminHeaders(ADMIN_KEY)),
      409,
      "tenant_exists",
    );

    const anonymous = await createTenant(server, JSON.stringify({ slug: "anon", name: "Anon" }), {
      "Content-Type": "application/json",
    });
    expectProblem(anonymous, 401, "unauthorized");
    expect(anonymous.headers.get("www-authenticate")).toBe(`Bearer realm="${PUBLIC_URL}"`);
  });

  it("answers tenant_not_found, not_found, malformed_body and payload_too_large as problem+json", async () => {
    expectProblem(await call(server, "/t/unknown/anything"), 404, "tenant_not_found");
    expectProblem(await call(server, "/t/default/nonexistent"), 404, "not_found"); // seeded on first start
    expectProblem(await call(server, "/no/such/route"), 404, "not_found");
    expectProblem(await createTenant(server, "{not json", adminHeaders(ADMIN_KEY)), 400, "malformed_body");
    const huge = JSON.stringify({ slug: "huge", name: "x".repeat(64 * 1024 + 100) });
    expectProblem(await createTenant(server, huge, adminHeaders(ADMIN_KEY)), 413, "payload_too_large");
  });

  it(
    "exits 0 within a few seconds of SIGTERM, even with an idle keep-alive connection open",
    async () => {
      const doomed = await startNode({ ...env(), MIGRATE_ON_START: "false" });
      // Leaves an idle keep-alive socket in fetch's pool: shutdown must not wait for it.
      expect((await call(doomed, "/readyz")).status).toBe(200);
      const exit = await stop(doomed, "SIGTERM", 5_000);
      expect(exit, doomed.output()).toMatchObject({ code: 0, signal: null });
      expect(exit.ms).toBeLessThan(5_000);
      expect(doomed.output()).toContain('"event":"shutting_down"');
      expect(doomed.output()).toContain('"event":"stopped"');
      await expect(fetch(`${doomed.base}/healthz`, { signal: AbortSignal.timeout(2_000) })).rejects.toThrow();
    },
    PROCESS_TEST_MS,
  );
});

describe("on the embedded defaults (no DATABASE_URL, no REDIS_URL, no secrets)", () => {
  it(
    "seeds the default tenant, keeps its dev secrets in DATA_DIR, and keeps its data across a restart",
    async () => {
      const dataDir = mkdtempSync(join(tmpdir(), "authority-node-"));
      tempDirs.push(dataDir);
      const env = { APP_ENV: "development", DATA_DIR: dataDir };

      const first = await startNode(env);
      expect(first.output()).toContain('First start: tenant "default" created');
      const secretsFile = join(dataDir, "dev-secrets.json");
      const secrets = JSON.parse(readFileSync(secretsFile, "utf8")) as Record<string, string>;
      expect(secrets.BOOTSTRAP_ADMIN_KEY?.length).toBeGreaterThanOrEqual(32);
      expect(secrets.ENCRYPTION_KEYS).toMatch(/^[A-Za-z0-9_-]+:[A-Za-z0-9+/=]+$/);
      expect(statSync(secretsFile).mode & 0o777).toBe(0o600);
      const key = secrets.BOOTSTRAP_ADMIN_KEY as string;

      expect((await call(first, "/readyz")).json).toEqual({ status: "ok", checks: { postgres: "ok", redis: "ok" } });
      // The seeded tenant resolves: an unknown route under it is plain not_found.
      expectProblem(await call(first, "/t/default/nonexistent"), 404, "not_found");
      expectProblem(await call(first, "/t/unknown/nonexistent"), 404, "tenant_not_found");
      const created = await createTenant(
        first,
        JSON.stringify({ slug: "persisted", name: "Persisted" }),
        adminHeaders(key),
      );
      expect(created.status, created.text).toBe(201);
      expect(created.json.issuer).toBe(`http://localhost:${first.port}/t/persisted`);
      expect(await stop(first), first.output()).toMatchObject({ code: 0, signal: null });

      const second = await startNode(env);
      expect(second.output()).not.toContain("First start");
      expect(JSON.parse(readFileSync(secretsFile, "utf8"))).toEqual(secrets);
      expectProblem(await call(second, "/t/persisted/nonexistent"), 404, "not_found");
      expectProblem(
        await createTenant(second, JSON.stringify({ slug: "persisted", name: "Again" }), adminHeaders(key)),
        409,
        "tenant_exists",
      );
      expect(await stop(second), second.output()).toMatchObject({ code: 0, signal: null });
    },
    PROCESS_TEST_MS,
  );
});

describe("with a broken configuration", () => {
  const SECRET = "short-secret-value";
  let broken: NodeProcess;
  let exit: Exit;

  beforeAll(async () => {
    broken = await spawnNode({
      APP_ENV: "production",
      PUBLIC_URL: "not-a-url",
      BOOTSTRAP_ADMIN_KEY: SECRET,
      // Valid, so the bad variables are exactly PUBLIC_URL, BOOTSTRAP_ADMIN_KEY and the missing DATABASE_URL.
      REDIS_URL,
      ENCRYPTION_KEYS,
    });
    exit = await exitOf(broken);
  }, 30_000);

  it("exits non-zero with one message naming the bad variables, without the secret", async () => {
    const output = broken.output();
    expect(exit.code, output).not.toBe(0);
    expect(exit.code).not.toBeNull();
    expect(output.match(/Invalid configuration/g)).toHaveLength(1);
    expect(output).toMatch(/PUBLIC_URL: .+/);
    expect(output).toMatch(/BOOTSTRAP_ADMIN_KEY: .*32/);
    expect(output).not.toContain(SECRET);
    expect(output).not.toContain(ENCRYPTION_KEYS);
    expect(output).not.toContain('"event":"listening"');
    await expect(fetch(`${broken.base}/healthz`, { signal: AbortSignal.timeout(2_000) })).rejects.toThrow();
  });

  // Cross-variable rules are reported together with the field errors, in one message.
  it("names the missing DATABASE_URL in that same message", () => {
    expect(broken.output()).toMatch(/DATABASE_URL: .*required/);
  });

  it("names DATABASE_URL and REDIS_URL when only they are missing in production", async () => {
    const proc = await spawnNode({
      APP_ENV: "production",
      PUBLIC_URL,
      BOOTSTRAP_ADMIN_KEY: ADMIN_KEY,
      ENCRYPTION_KEYS,
    });
    const result = await exitOf(proc);
    const output = proc.output();
    expect(result.code, output).toBe(1);
    expect(output.match(/Invalid configuration/g)).toHaveLength(1);
    expect(output).toMatch(/DATABASE_URL: .*required/);
    expect(output).toMatch(/REDIS_URL: .*required/);
    expect(output).not.toContain(ADMIN_KEY);
  }, 30_000);
});
