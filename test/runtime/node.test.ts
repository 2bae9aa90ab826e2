/**
 * The built Node entry (dist/node/node.js, what `npm start` runs) as a real child process on the
 * real Postgres and Redis, through a SIGTERM. Its embedded defaults and a broken configuration are
 * in node-embedded.test.ts.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { expectProblem } from "../support/problem.js";
import { deletePrefix } from "../support/redis.js";
import {
  ADMIN_KEY,
  adminHeaders,
  call,
  cleanupNodes,
  createTenant,
  nodeOnPostgresAndRedis,
  PROCESS_TEST_MS,
  PUBLIC_URL,
  startNode,
  stop,
} from "../support/runtime-node.js";

afterAll(cleanupNodes, 30_000);

describe("on Postgres and Redis", () => {
  const node = nodeOnPostgresAndRedis();

  it("logs that it listens on pg and redis", async () => {
    // Info lines are buffered (flushed at least every 200 ms).
    await expect.poll(() => node.server.output(), { timeout: 2_000 }).toContain('"event":"listening"');
    const listening = node.server
      .output()
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((entry) => entry.event === "listening");
    expect(listening).toMatchObject({
      port: node.server.port,
      database: "pg",
      store: "redis",
      env: "test",
      public_url: PUBLIC_URL,
    });
  });

  it("answers /healthz", async () => {
    const answer = await call(node.server, "/healthz");
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ status: "ok" });
  });

  it("answers /readyz with both checks ok", async () => {
    const answer = await call(node.server, "/readyz");
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json).toEqual({ status: "ok", checks: { postgres: "ok", redis: "ok" } });
  });

  it("serves the OpenAPI 3.1 document and /docs", async () => {
    const doc = await call(node.server, "/openapi.json");
    expect(doc.status).toBe(200);
    expect(doc.json.openapi).toBe("3.1.0");
    expect(Object.keys(doc.json.paths as object)).toEqual(
      expect.arrayContaining(["/healthz", "/readyz", "/v1/admin/tenants"]),
    );
    const docs = await call(node.server, "/docs");
    expect(docs.status).toBe(200);
    expect(docs.headers.get("content-type")).toMatch(/^text\/html/);
  });

  it("echoes a well-formed X-Request-Id and replaces a malformed one", async () => {
    const good = await call(node.server, "/healthz", { headers: { "X-Request-Id": "node.REQ_42-a" } });
    expect(good.headers.get("x-request-id")).toBe("node.REQ_42-a");
    const bad = await call(node.server, "/healthz", { headers: { "X-Request-Id": "x".repeat(129) } });
    expect(bad.headers.get("x-request-id")).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it("creates a tenant (201, in Postgres), then 409 tenant_exists; 401 without the key", async () => {
    const slug = `nd-${randomBytes(4).toString("hex")}`;
    const created = await createTenant(
      node.server,
      JSON.stringify({ slug, name: "Node Tenant" }),
      adminHeaders(ADMIN_KEY),
    );
    expect(created.status, created.text).toBe(201);
    expect(created.json).toMatchObject({ slug, name: "Node Tenant", issuer: `${PUBLIC_URL}/t/${slug}` });

    const client = new pg.Client({ connectionString: node.database.url });
    await client.connect();
    try {
      const { rows } = await client.query("SELECT id, name FROM tenants WHERE slug = $1", [slug]);
      expect(rows).toEqual([{ id: created.json.id, name: "Node Tenant" }]);
    } finally {
      await client.end();
    }

    expectProblem(
      await createTenant(node.server, JSON.stringify({ slug, name: "Again" }), adminHeaders(ADMIN_KEY)),
      409,
      "tenant_exists",
    );

    const anonymous = await createTenant(node.server, JSON.stringify({ slug: "anon", name: "Anon" }), {
      "Content-Type": "application/json",
    });
    expectProblem(anonymous, 401, "unauthorized");
    expect(anonymous.headers.get("www-authenticate")).toBe(`Bearer realm="${PUBLIC_URL}"`);
  });

  it("answers tenant_not_found, not_found, malformed_body and payload_too_large as problem+json", async () => {
    expectProblem(await call(node.server, "/t/unknown/anything"), 404, "tenant_not_found");
    expectProblem(await call(node.server, "/t/default/nonexistent"), 404, "not_found"); // seeded on first start
    expectProblem(await call(node.server, "/no/such/route"), 404, "not_found");
    expectProblem(await createTenant(node.server, "{not json", adminHeaders(ADMIN_KEY)), 400, "malformed_body");
    const huge = JSON.stringify({ slug: "huge", name: "x".repeat(64 * 1024 + 100) });
    expectProblem(await createTenant(node.server, huge, adminHeaders(ADMIN_KEY)), 413, "payload_too_large");
  });

  it(
    "runs a session on the built server: refresh, ledger write, logout, and refresh after a Redis loss",
    async () => {
      const slug = `ns-${randomBytes(4).toString("hex")}`;
      expect(
        (await createTenant(node.server, JSON.stringify({ slug, name: "S" }), adminHeaders(ADMIN_KEY))).status,
      ).toBe(201);
      const json = { "Content-Type": "application/json" };
      const post = (path: string, body: unknown, headers: Record<string, string> = json) =>
        call(node.server, `/t/${slug}/v1/${path}`, { method: "POST", headers, body: JSON.stringify(body) });
      const signup = await post("signup", { email: "node@example.com", password: "correct horse battery staple" });
      expect(signup.status, signup.text).toBe(201);
      // The session's whole idle lifetime (30 days), though the answer is made some ms after the session.
      expect(signup.json.refresh_expires_in).toBe(2_592_000);
      const refreshed = await post("token/refresh", { refresh_token: signup.json.refresh_token });
      expect(refreshed.status, refreshed.text).toBe(200);
      expect(refreshed.json.session_id).toBe(signup.json.session_id);

      const client = new pg.Client({ connectionString: node.database.url });
      await client.connect();
      try {
        const ledger = async () =>
          (await client.query("SELECT refresh_generation FROM sessions WHERE id = $1", [signup.json.session_id]))
            .rows[0]?.refresh_generation;
        for (let i = 0; i < 50 && (await ledger()) !== 1; i++) await new Promise((r) => setTimeout(r, 100));
        expect(await ledger()).toBe(1);
      } finally {
        await client.end();
      }

      await deletePrefix(node.prefix);
      const afterLoss = await post("token/refresh", { refresh_token: refreshed.json.refresh_token });
      expect(afterLoss.status, afterLoss.text).toBe(200);
      const bearer = { ...json, Authorization: `Bearer ${afterLoss.json.access_token}` };
      expect((await post("logout", {}, bearer)).status).toBe(204);
      expectProblem(await call(node.server, `/t/${slug}/v1/me`, { headers: bearer }), 401, "token_revoked");
      expectProblem(await post("token/refresh", { refresh_token: afterLoss.json.refresh_token }), 401, "invalid_grant");
      // Nothing the server printed holds a refresh token.
      for (const token of [signup, refreshed, afterLoss].map((a) => String(a.json.refresh_token))) {
        expect(node.server.output()).not.toContain(token.split(".")[1]);
      }
    },
    PROCESS_TEST_MS,
  );

  it(
    "exits 0 within a few seconds of SIGTERM, even with an idle keep-alive connection open",
    async () => {
      const doomed = await startNode({ ...node.env(), MIGRATE_ON_START: "false" });
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
