/**
 * The built Worker inside workerd (test/support/runtime-worker.ts): operations, request ids,
 * tenant administration, problems, readiness and configuration failures.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ASSET_TYPES, extensionOf, referencedUrls, sameOriginPaths } from "../support/docs-page.js";
import { freePort } from "../support/ports.js";
import { type Answer, expectProblem, readAnswer } from "../support/problem.js";
import { startWorkerHarness, type WorkerHarness, type WorkerInstance } from "../support/runtime-worker.js";

// Small, so "oversized" bodies stay small: workerd answers 413 before reading a large body and then
// resets the connection, which can lose the answer on the test's side of Miniflare's HTTP hop.
const BODY_LIMIT = 4096;

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

let h: WorkerHarness;
let main: WorkerInstance;
let PUBLIC_URL: string;
let ADMIN_KEY: string;

/** One request to a Worker; the body is always read (and parsed when it is JSON). */
async function call(instance: WorkerInstance, path: string, init: RequestInit = {}): Promise<Answer> {
  return readAnswer(await instance.request(path, init));
}

const adminHeaders = (key = ADMIN_KEY) => ({ Authorization: `Bearer ${key}`, "Content-Type": "application/json" });
const createTenant = (instance: WorkerInstance, body: string, headers: Record<string, string> = adminHeaders()) =>
  call(instance, "/v1/admin/tenants", { method: "POST", body, headers });

beforeAll(async () => {
  h = await startWorkerHarness({ MAX_BODY_BYTES: String(BODY_LIMIT) });
  PUBLIC_URL = h.publicUrl;
  ADMIN_KEY = h.adminKey;
  main = await h.start();
}, 60_000);

afterAll(async () => {
  await h?.close();
}, 60_000);

describe("operations inside workerd", () => {
  it("answers /healthz", async () => {
    const answer = await call(main, "/healthz");
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ status: "ok" });
  });

  it("puts the security headers on answers and errors alike", async () => {
    for (const path of ["/healthz", "/nowhere"]) {
      const { headers } = await call(main, path);
      expect(headers.get("content-security-policy")).toMatch(/^default-src 'none'.*frame-ancestors 'none'/);
      expect(headers.get("x-content-type-options")).toBe("nosniff");
      expect(headers.get("referrer-policy")).toBe("no-referrer");
      expect(headers.get("strict-transport-security")).toMatch(/^max-age=/);
    }
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

  it("serves the rendered reference at /docs with Swagger UI's files from the bundle itself", async () => {
    const answer = await call(main, "/docs");
    expect(answer.status).toBe(200);
    expect(answer.headers.get("content-type")).toMatch(/^text\/html/);
    expect(answer.text).toContain("/openapi.json");
    expect(answer.headers.get("content-security-policy")).toMatch(/script-src 'nonce-[\w-]+';/);
    for (const url of referencedUrls(answer.text)) expect(url, url).toMatch(/^(\/[^/]|data:)/);
    const assets = sameOriginPaths(answer.text).filter((path) => path.startsWith("/docs/assets/"));
    expect(assets.map(extensionOf).sort()).toEqual(["css", "js"]);
    for (const path of assets) {
      const response = await main.request(path);
      expect(response.status, path).toBe(200);
      expect(response.headers.get("content-type")).toMatch(ASSET_TYPES[extensionOf(path)] as RegExp);
      const body = await response.text();
      const file = extensionOf(path) === "js" ? "swagger-ui-bundle.js" : "swagger-ui.css";
      expect(body === readFileSync(join(ROOT, "node_modules/swagger-ui-dist", file), "utf8"), path).toBe(true);
    }
  });
});

describe("first contact inside workerd", () => {
  const DISCOVERY = "/t/default/.well-known/openid-configuration";

  it("answers GET / as on Node: a page of links under the hosted pages' CSP, JSON for Accept: application/json", async () => {
    expect((await createTenant(main, '{"slug":"default","name":"Default"}')).status).toBe(201);
    const page = await call(main, "/", { headers: { Accept: "text/html,*/*;q=0.8" } });
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(page.headers.get("content-security-policy")).toMatch(
      /^default-src 'none'; style-src 'self' 'nonce-[\w-]+';/,
    );
    expect(page.headers.get("content-security-policy")).not.toContain("script-src");
    for (const path of ["/docs", "/openapi.json", DISCOVERY, "/healthz", "/readyz"]) {
      expect(page.text).toContain(`href="${path}"`);
    }
    const json = await call(main, "/", { headers: { Accept: "application/json" } });
    expect(json.json).toEqual({
      docs: `${PUBLIC_URL}/docs`,
      openapi: `${PUBLIC_URL}/openapi.json`,
      discovery: `${PUBLIC_URL}${DISCOVERY}`,
      discovery_pattern: `${PUBLIC_URL}/t/{tenant}/.well-known/openid-configuration`,
      health: `${PUBLIC_URL}/healthz`,
      readiness: `${PUBLIC_URL}/readyz`,
    });
    const head = await main.request("/", { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await head.text()).toBe("");
  });

  it("tells the bootstrap key at a user route that the route needs a user's access token", async () => {
    const answer = await call(main, "/t/default/v1/me", { headers: { Authorization: `Bearer ${ADMIN_KEY}` } });
    expectProblem(answer, 401, "invalid_token");
    expect(answer.json.detail).toMatch(/needs a user's access token .*bootstrap admin key .*\/v1\/admin/);
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

    const client = new pg.Client({ connectionString: h.database.url });
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

  it("answers 400 malformed_body for JSON that is not UTF-8", async () => {
    const body = new Uint8Array([...new TextEncoder().encode('{"slug":"utf8","name":"a'), 0xff, 0x22, 0x7d]);
    expectProblem(
      await call(main, "/v1/admin/tenants", { method: "POST", body, headers: adminHeaders() }),
      400,
      "malformed_body",
    );
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
    const down = await h.start({ UPSTASH_REDIS_REST_URL: `http://127.0.0.1:${await freePort()}` });
    const answer = await call(down, "/readyz");
    expectProblem(answer, 503, "not_ready");
    expect(answer.json.checks).toEqual({ redis: "unreachable" });
    expect(answer.json.detail).toContain("redis");
    expect(answer.json.detail).not.toContain("postgres");
  });

  it("answers 503 naming postgres when the Neon endpoint points at a closed port", async () => {
    const down = await h.start({ NEON_FETCH_ENDPOINT: `http://127.0.0.1:${await freePort()}/sql` });
    const answer = await call(down, "/readyz");
    expectProblem(answer, 503, "not_ready");
    expect(answer.json.checks).toEqual({ postgres: "unreachable" });
    expect(answer.json.detail).toContain("postgres");
    expect(answer.json.detail).not.toContain("redis");
  });
});

describe("a Worker with a broken configuration", () => {
  it("answers 503 misconfigured without leaking names or values, and logs which variable is wrong", async () => {
    const broken = await h.start({ DATABASE_URL: undefined });
    for (const path of ["/healthz", "/v1/admin/tenants"]) {
      const answer = await call(
        broken,
        path,
        path === "/healthz" ? {} : { method: "POST", body: "{}", headers: adminHeaders() },
      );
      expectProblem(answer, 503, "misconfigured");
      for (const value of [
        ADMIN_KEY,
        h.encryptionKeys,
        h.upstash.token,
        h.upstash.url,
        h.neonBridge.endpoint,
        h.database.name,
      ]) {
        expect(answer.text).not.toContain(value);
      }
      expect(answer.text).not.toContain("DATABASE_URL");
      expect(answer.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    }
    // The reason goes to the Worker's log instead (and no secret with it).
    await expect.poll(() => broken.logs.join("\n"), { timeout: 5_000 }).toContain("DATABASE_URL");
    const log = broken.logs.join("\n");
    expect(log).toContain("invalid_configuration");
    for (const value of [ADMIN_KEY, h.encryptionKeys, h.upstash.token]) expect(log).not.toContain(value);
  });

  it("refuses NODE_ENV=production without APP_ENV as a misconfiguration, not development mode", async () => {
    const broken = await h.start({ APP_ENV: undefined, NODE_ENV: "production" });
    expectProblem(await call(broken, "/healthz"), 503, "misconfigured");
    await expect.poll(() => broken.logs.join("\n"), { timeout: 5_000 }).toContain("APP_ENV");
    expect(broken.logs.join("\n")).toMatch(/"variable":"APP_ENV","message":"is required when NODE_ENV is/);
  });
});
