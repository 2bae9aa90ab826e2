/**
 * The built Worker (dist/worker/worker.js, what `wrangler deploy` uploads) inside workerd through
 * Miniflare: Postgres reached over Neon's HTTP protocol and Redis over Upstash's REST protocol,
 * both through the test bridges onto the real servers.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type NeonHttpBridge, startNeonHttpBridge } from "../support/neon-http-bridge.js";
import { createTestDatabase, type TestDatabase } from "../support/postgres.js";
import { deletePrefix, testPrefix } from "../support/redis.js";
import { startUpstashBridge, type UpstashBridge } from "../support/upstash-rest-bridge.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SCRIPT = `${ROOT}dist/worker/worker.js`;
const PUBLIC_URL = "https://auth.worker.test";
const ADMIN_KEY = `worker-admin-${randomBytes(24).toString("hex")}`;
const ENCRYPTION_KEYS = `k1:${randomBytes(32).toString("base64")}`;
const UPSTASH_TOKEN = `upstash-${randomBytes(16).toString("hex")}`;
const BASE = "http://worker.test";
const BODY_LIMIT = 4096;

/** compatibility_date and compatibility_flags exactly as wrangler.toml gives them to the deployed Worker. */
function wranglerCompatibility(): { compatibilityDate: string; compatibilityFlags: string[] } {
  const toml = readFileSync(`${ROOT}wrangler.toml`, "utf8");
  const date = /^\s*compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)?.[1];
  const flags = /^\s*compatibility_flags\s*=\s*\[([^\]]*)\]/m.exec(toml)?.[1];
  if (!date || flags === undefined) throw new Error("wrangler.toml lacks compatibility_date or compatibility_flags");
  return { compatibilityDate: date, compatibilityFlags: [...flags.matchAll(/"([^"]+)"/g)].map((m) => m[1] as string) };
}

/** A loopback port where nothing listens (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface Instance {
  mf: Miniflare;
  logs: string[];
}

const instances: Instance[] = [];
let database: TestDatabase;
let neonBridge: NeonHttpBridge;
let upstash: UpstashBridge;
let prefix: string;
let main: Instance;

/** Every variable a working Worker gets; `overrides` replace single ones, `undefined` drops one. */
function bindings(overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const all: Record<string, string | undefined> = {
    APP_ENV: "test",
    PUBLIC_URL,
    DATABASE_URL: `postgresql://postgres:unused@neon.test/${database.name}`,
    NEON_FETCH_ENDPOINT: neonBridge.endpoint,
    UPSTASH_REDIS_REST_URL: upstash.url,
    UPSTASH_REDIS_REST_TOKEN: upstash.token,
    REDIS_KEY_PREFIX: prefix,
    BOOTSTRAP_ADMIN_KEY: ADMIN_KEY,
    ENCRYPTION_KEYS,
    // Small, so "oversized" bodies stay small: workerd answers 413 before reading a large body and then
    // resets the connection, which can lose the answer on the test's side of Miniflare's HTTP hop.
    MAX_BODY_BYTES: String(BODY_LIMIT),
    ...overrides,
  };
  return Object.fromEntries(Object.entries(all).filter((e): e is [string, string] => e[1] !== undefined));
}

async function startWorker(overrides: Record<string, string | undefined> = {}): Promise<Instance> {
  const logs: string[] = [];
  const mf = new Miniflare({
    modules: true,
    scriptPath: SCRIPT,
    ...wranglerCompatibility(),
    bindings: bindings(overrides),
    handleStructuredLogs: ({ message }: { message: string }) => {
      logs.push(message);
    },
  });
  const instance = { mf, logs };
  instances.push(instance);
  await mf.ready;
  return instance;
}

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: Record<string, unknown>;
}

/** One request to a Worker; the body is always read (and parsed when it is JSON). */
async function call(instance: Instance, path: string, init: RequestInit = {}): Promise<Answer> {
  // Miniflare's fetch types come from undici; the shapes used here are the standard ones.
  const response = await instance.mf.dispatchFetch(`${BASE}${path}`, init as never);
  const text = await response.text();
  let json: Record<string, unknown> = {};
  if (/json/.test(response.headers.get("content-type") ?? "")) json = JSON.parse(text) as Record<string, unknown>;
  return { status: response.status, headers: response.headers as unknown as Headers, text, json };
}

const adminHeaders = (key = ADMIN_KEY) => ({ Authorization: `Bearer ${key}`, "Content-Type": "application/json" });
const createTenant = (instance: Instance, body: string, headers: Record<string, string> = adminHeaders()) =>
  call(instance, "/v1/admin/tenants", { method: "POST", body, headers });

function expectProblem(answer: Answer, status: number, code: string): void {
  expect(answer.status, answer.text).toBe(status);
  expect(answer.headers.get("content-type")).toBe("application/problem+json");
  expect(answer.json).toMatchObject({ status, code, type: expect.any(String), title: expect.any(String) });
  expect(typeof answer.json.detail).toBe("string");
}

beforeAll(async () => {
  expect(existsSync(SCRIPT), `${SCRIPT} is missing: run npm run build`).toBe(true);
  database = await createTestDatabase();
  prefix = testPrefix();
  neonBridge = await startNeonHttpBridge();
  upstash = await startUpstashBridge({ token: UPSTASH_TOKEN });
  main = await startWorker();
}, 60_000);

afterAll(async () => {
  await Promise.allSettled(instances.map((instance) => instance.mf.dispose()));
  await Promise.allSettled([neonBridge?.close(), upstash?.close()]);
  if (prefix) await deletePrefix(prefix);
  await database?.drop();
}, 60_000);

describe("operations inside workerd", () => {
  it("answers /healthz", async () => {
    const answer = await call(main, "/healthz");
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ status: "ok" });
  });

  it("answers /readyz with Postgres (neon-http) and Redis (Upstash REST) both ok", async () => {
    const answer = await call(main, "/readyz");
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json).toEqual({ status: "ok", checks: { postgres: "ok", redis: "ok" } });
  });

  it("serves the OpenAPI 3.1 document", async () => {
    const answer = await call(main, "/openapi.json");
    expect(answer.status).toBe(200);
    expect(answer.json.openapi).toBe("3.1.0");
    const paths = Object.keys(answer.json.paths as Record<string, unknown>);
    expect(paths).toEqual(expect.arrayContaining(["/healthz", "/readyz", "/v1/admin/tenants"]));
    expect(answer.json.servers).toEqual([{ url: PUBLIC_URL }]);
  });

  it("serves the rendered reference at /docs", async () => {
    const answer = await call(main, "/docs");
    expect(answer.status).toBe(200);
    expect(answer.headers.get("content-type")).toMatch(/^text\/html/);
    expect(answer.text).toMatch(/<html/i);
    expect(answer.text).toContain("/openapi.json");
  });
});

describe("request ids", () => {
  it("echoes a well-formed X-Request-Id", async () => {
    const answer = await call(main, "/healthz", { headers: { "X-Request-Id": "req.ABC_123-z" } });
    expect(answer.headers.get("x-request-id")).toBe("req.ABC_123-z");
  });

  it("replaces a malformed X-Request-Id with a fresh UUID, on errors too", async () => {
    const malformed = "not ok <script>";
    const answer = await call(main, "/healthz", { headers: { "X-Request-Id": malformed } });
    const id = answer.headers.get("x-request-id");
    expect(id).not.toBe(malformed);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const missing = await call(main, "/nowhere");
    expect(missing.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(missing.headers.get("x-request-id")).not.toBe(id);
  });
});

describe("tenant administration", () => {
  const slug = `wk-${randomBytes(4).toString("hex")}`;

  it("creates a tenant (201), really in Postgres, then answers 409 tenant_exists", async () => {
    const created = await createTenant(main, JSON.stringify({ slug, name: "Worker Tenant" }));
    expect(created.status, created.text).toBe(201);
    expect(created.json).toMatchObject({ slug, name: "Worker Tenant", issuer: `${PUBLIC_URL}/t/${slug}` });
    expect(created.json.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number.isNaN(Date.parse(String(created.json.created_at)))).toBe(false);

    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const { rows } = await client.query("SELECT id, slug, name FROM tenants WHERE slug = $1", [slug]);
      expect(rows).toEqual([{ id: created.json.id, slug, name: "Worker Tenant" }]);
    } finally {
      await client.end();
    }

    const again = await createTenant(main, JSON.stringify({ slug, name: "Again" }));
    expectProblem(again, 409, "tenant_exists");
  });

  it("resolves the created tenant under /t/{tenant} (unknown route there is plain not_found)", async () => {
    const answer = await call(main, `/t/${slug}/nonexistent`);
    expectProblem(answer, 404, "not_found");
  });

  it("answers 401 with a Bearer challenge without the key, and invalid_token with a wrong one", async () => {
    const without = await createTenant(main, JSON.stringify({ slug: "nokey", name: "No key" }), {
      "Content-Type": "application/json",
    });
    expectProblem(without, 401, "unauthorized");
    expect(without.headers.get("www-authenticate")).toBe(`Bearer realm="${PUBLIC_URL}"`);

    const wrong = await createTenant(
      main,
      JSON.stringify({ slug: "nokey", name: "No key" }),
      adminHeaders(`x${ADMIN_KEY}`),
    );
    expectProblem(wrong, 401, "invalid_token");
    expect(wrong.headers.get("www-authenticate")).toMatch(/^Bearer realm="[^"]+", error="invalid_token"$/);
  });
});

describe("problems", () => {
  it("answers 404 tenant_not_found under an unknown tenant", async () => {
    const answer = await call(main, "/t/unknown/anything");
    expectProblem(answer, 404, "tenant_not_found");
  });

  it("answers 404 problem+json for an unknown route", async () => {
    expectProblem(await call(main, "/no/such/route"), 404, "not_found");
  });

  it("answers 400 malformed_body for JSON that does not parse", async () => {
    expectProblem(await createTenant(main, '{"slug": "broken",'), 400, "malformed_body");
  });

  it("answers 413 payload_too_large for an oversized body, with or without Content-Length", async () => {
    const oversized = JSON.stringify({ slug: "huge", name: "x".repeat(BODY_LIMIT + 500) });
    const sized = await createTenant(main, oversized);
    expectProblem(sized, 413, "payload_too_large");
    expect(sized.json.detail).toContain(String(BODY_LIMIT));

    const bytes = new TextEncoder().encode(oversized);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes);
        controller.close();
      },
    });
    const streamed = await call(main, "/v1/admin/tenants", {
      method: "POST",
      body: stream,
      headers: adminHeaders(),
      duplex: "half",
    } as RequestInit);
    expectProblem(streamed, 413, "payload_too_large");

    // A body just under the limit still gets through to validation.
    const fits = await createTenant(main, JSON.stringify({ slug: "Not A Slug", name: "x".repeat(BODY_LIMIT - 100) }));
    expectProblem(fits, 400, "validation_failed");
  });
});

describe("readiness when a dependency is down", () => {
  it("answers 503 naming redis when the Upstash URL points at a closed port", async () => {
    const down = await startWorker({ UPSTASH_REDIS_REST_URL: `http://127.0.0.1:${await closedPort()}` });
    const answer = await call(down, "/readyz");
    expectProblem(answer, 503, "not_ready");
    expect(answer.json.checks).toEqual({ redis: "unreachable" });
    expect(answer.json.detail).toContain("redis");
    expect(answer.json.detail).not.toContain("postgres");
  });

  it("answers 503 naming postgres when the Neon endpoint points at a closed port", async () => {
    const down = await startWorker({ NEON_FETCH_ENDPOINT: `http://127.0.0.1:${await closedPort()}/sql` });
    const answer = await call(down, "/readyz");
    expectProblem(answer, 503, "not_ready");
    expect(answer.json.checks).toEqual({ postgres: "unreachable" });
    expect(answer.json.detail).toContain("postgres");
    expect(answer.json.detail).not.toContain("redis");
  });
});

describe("a Worker with a broken configuration", () => {
  it("answers 503 misconfigured without leaking names or values, and logs which variable is wrong", async () => {
    const broken = await startWorker({ DATABASE_URL: undefined });
    for (const path of ["/healthz", "/v1/admin/tenants"]) {
      const answer = await call(
        broken,
        path,
        path === "/healthz" ? {} : { method: "POST", body: "{}", headers: adminHeaders() },
      );
      expectProblem(answer, 503, "misconfigured");
      for (const value of [
        ADMIN_KEY,
        ENCRYPTION_KEYS,
        UPSTASH_TOKEN,
        upstash.url,
        neonBridge.endpoint,
        database.name,
      ]) {
        expect(answer.text).not.toContain(value);
      }
      expect(answer.text).not.toContain("DATABASE_URL");
    }
    // The reason goes to the Worker's log instead (and no secret with it).
    await expect.poll(() => broken.logs.join("\n"), { timeout: 5_000 }).toContain("DATABASE_URL");
    const log = broken.logs.join("\n");
    expect(log).toContain("invalid_configuration");
    for (const value of [ADMIN_KEY, ENCRYPTION_KEYS, UPSTASH_TOKEN]) expect(log).not.toContain(value);
  });
});
