import { afterEach, describe, expect, it } from "vitest";
import { createPgDatabase } from "../../src/adapters/postgres/pg.js";
import { IoRedisKeyValueStore } from "../../src/adapters/redis/ioredis.js";
import type { Database } from "../../src/core/ports/database.js";
import type { KeyValueStore } from "../../src/core/ports/key-value.js";
import type { LogFields, Logger } from "../../src/core/ports/logger.js";
import { startTestApp, type TestApp } from "../support/app.js";

/** A port on loopback where nothing listens. */
const CLOSED_PORT = 1;

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function readyz(app: TestApp) {
  const response = await app.app.request("/readyz");
  return {
    status: response.status,
    type: response.headers.get("content-type"),
    body: (await response.json()) as Record<string, unknown>,
  };
}

describe("readiness when a dependency fails", () => {
  it("names Redis when Redis does not answer", async () => {
    t = await startTestApp({ kv: new IoRedisKeyValueStore({ url: `redis://127.0.0.1:${CLOSED_PORT}`, prefix: "x:" }) });
    const { status, type, body } = await readyz(t);
    expect(status).toBe(503);
    expect(type).toBe("application/problem+json");
    expect(body).toMatchObject({ code: "not_ready", checks: { redis: "unreachable" } });
    expect(body.checks).not.toHaveProperty("postgres");
    expect(body.detail).toContain("redis");
  });

  it("names Postgres when Postgres does not answer", async () => {
    t = await startTestApp({ db: createPgDatabase(`postgres://postgres@127.0.0.1:${CLOSED_PORT}/none`) });
    const { status, body } = await readyz(t);
    expect(status).toBe(503);
    expect(body).toMatchObject({ code: "not_ready", checks: { postgres: "unreachable" } });
    expect(body.checks).not.toHaveProperty("redis");
  });

  it("names both when both fail, and does not hang on a dependency that never answers", async () => {
    // The same adapter, but its ping never settles.
    const hanging = <T extends object>(target: T): T =>
      Object.assign(Object.create(target) as T, { ping: () => new Promise<void>(() => {}) });
    t = await startTestApp({}, { READINESS_TIMEOUT: "300ms" });
    const stuck = await startTestApp(
      { db: hanging<Database>(t.deps.db), kv: hanging<KeyValueStore>(t.deps.kv) },
      { READINESS_TIMEOUT: "300ms" },
    );
    try {
      const started = Date.now();
      const { status, body } = await readyz(stuck);
      expect(status).toBe(503);
      expect(body.checks).toEqual({ postgres: "no answer within 300 ms", redis: "no answer within 300 ms" });
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await stuck.close();
    }
  });

  it("keeps /healthz at 200 while dependencies are down", async () => {
    t = await startTestApp({ kv: new IoRedisKeyValueStore({ url: `redis://127.0.0.1:${CLOSED_PORT}`, prefix: "x:" }) });
    expect((await t.app.request("/healthz")).status).toBe(200);
  });
});

describe("unexpected failures", () => {
  it("answer 500 problem+json without internals, and are logged with the request id", async () => {
    const logged: { event: string; fields?: LogFields }[] = [];
    const logger: Logger = {
      info() {},
      warn() {},
      error: (event, fields) => logged.push({ event, fields }),
    };
    t = await startTestApp({ logger });
    const failing: Database = {
      ...t.deps.db,
      tenants: {
        ...t.deps.db.tenants,
        findBySlug: () => Promise.reject(new Error("connection string postgres://secret@db leaked?")),
      },
    };
    const broken = await startTestApp({ db: failing, logger });
    try {
      const response = await broken.app.request("/t/default/anything", { headers: { "X-Request-Id": "req-500" } });
      expect(response.status).toBe(500);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
      expect(response.headers.get("content-security-policy")).toMatch(/^default-src 'none'/);
      const text = await response.text();
      expect(JSON.parse(text)).toMatchObject({ status: 500, code: "internal_error" });
      expect(text).not.toContain("secret");
      expect(text).not.toContain("at ");
      expect(logged).toEqual([
        expect.objectContaining({
          event: "unhandled_error",
          fields: expect.objectContaining({ request_id: "req-500" }),
        }),
        // The request line, written by the outer logging layer after the error became a response.
        expect.objectContaining({
          event: "request",
          fields: expect.objectContaining({ request_id: "req-500", method: "GET", status: 500 }),
        }),
      ]);
    } finally {
      await broken.close();
    }
  });
});
