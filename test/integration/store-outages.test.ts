/**
 * A store that refuses connections or never answers is an outage, not a bug:
 * every driver's failure of that kind answers 503 `service_unavailable` with
 * Retry-After (a hosted page as an HTML page with that status), logged with
 * the request's id, and a store that never answers is given up on in time.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createNeonHttpDatabase } from "../../src/adapters/postgres/neon-http.js";
import { createPgDatabase } from "../../src/adapters/postgres/pg.js";
import { IoRedisKeyValueStore } from "../../src/adapters/redis/ioredis.js";
import { UpstashKeyValueStore } from "../../src/adapters/redis/upstash.js";
import type { Database } from "../../src/core/ports/database.js";
import type { KeyValueStore } from "../../src/core/ports/key-value.js";
import { appClient, GOOD_PASSWORD } from "../support/accounts.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { expectProblem, readAnswer } from "../support/problem.js";
import { recordingLogger } from "../support/recorders.js";
import { startSilentServer, within } from "../support/tcp-proxy.js";

/** A port on loopback where nothing listens. */
const CLOSED_PORT = 1;
const TIMEOUT_MS = 300;

let healthy: TestApp;
let silent: Awaited<ReturnType<typeof startSilentServer>>;
/** A refresh token issued by the healthy app, presented to the broken ones (same database). */
let refreshToken: string;

beforeAll(async () => {
  healthy = await startTestApp();
  silent = await startSilentServer();
  const api = appClient(healthy);
  await api.createTenant("default");
  const signup = await api.signup("default", "outage@example.com", GOOD_PASSWORD);
  expect(signup.status).toBe(201);
  refreshToken = ((await signup.json()) as { refresh_token: string }).refresh_token;
});
afterAll(async () => {
  await healthy?.close();
  await silent?.close();
});

let broken: TestApp | undefined;
afterEach(async () => {
  await broken?.close();
  broken = undefined;
});

async function brokenApp(store: { db?: Database; kv?: KeyValueStore }) {
  const logs = recordingLogger();
  // The healthy app's database, which the broken app must not close.
  const shared: Database = { ...healthy.deps.db, close: async () => {} };
  // Its keys too, so that it reads the healthy app's refresh token.
  const { config, sealer } = healthy.deps;
  broken = await startTestApp({ config, sealer, db: shared, ...store, logger: logs.logger });
  return { app: broken.app, lines: logs.lines };
}

const NEON_URL = "postgresql://postgres:unused@neon.test/none";

const postgresDown: [string, () => Database][] = [
  ["pg, connection refused", () => createPgDatabase(`postgres://postgres@127.0.0.1:${CLOSED_PORT}/none`)],
  ["neon-http, connection refused", () => createNeonHttpDatabase(NEON_URL, `http://127.0.0.1:${CLOSED_PORT}/sql`)],
  [
    "neon-http, a request never answered",
    () => createNeonHttpDatabase(NEON_URL, `http://127.0.0.1:${silent.port}/sql`, TIMEOUT_MS),
  ],
];

describe.each(postgresDown)("Postgres down (%s)", (_, open) => {
  it("answers 503 service_unavailable with Retry-After, and logs the outage with the request id", async () => {
    const { app, lines } = await brokenApp({ db: open() });
    const answer = await readAnswer(
      await within(
        5_000,
        "the tenant route",
        Promise.resolve(
          app.request("/t/default/.well-known/openid-configuration", {
            headers: { "X-Request-Id": "req-pg-down" },
          }),
        ),
      ),
    );
    expectProblem(answer, 503, "service_unavailable");
    expect(answer.headers.get("retry-after")).toBe("5");
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: "error",
        event: "store_unavailable",
        fields: expect.objectContaining({ request_id: "req-pg-down", store: "postgres" }),
      }),
    );
    expect(lines.map((line) => line.event)).not.toContain("unhandled_error");
  });

  it("answers a hosted page with the HTML error page, status 503 and Retry-After", async () => {
    const { app } = await brokenApp({ db: open() });
    const response = await app.request("/t/default/login");
    expect(response.status).toBe(503);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    expect(response.headers.get("retry-after")).toBe("5");
  });

  it("answers the OAuth token endpoint 503 too", async () => {
    const { app } = await brokenApp({ db: open() });
    const response = await app.request("/t/default/oauth2/token", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: "grant_type=client_credentials&client_id=x&client_secret=y",
    });
    expectProblem(await readAnswer(response), 503, "service_unavailable");
  });
});

const redisDown: [string, () => KeyValueStore][] = [
  [
    "ioredis, connection refused",
    () => new IoRedisKeyValueStore({ url: `redis://127.0.0.1:${CLOSED_PORT}`, prefix: "down:" }),
  ],
  [
    "ioredis, a server that accepts and never answers",
    () =>
      new IoRedisKeyValueStore({
        url: `redis://127.0.0.1:${silent.port}`,
        prefix: "down:",
        commandTimeoutMs: TIMEOUT_MS,
      }),
  ],
  [
    "Upstash, connection refused",
    () => new UpstashKeyValueStore({ url: `http://127.0.0.1:${CLOSED_PORT}`, token: "t", prefix: "down:" }),
  ],
  [
    "Upstash, a request never answered",
    () =>
      new UpstashKeyValueStore({
        url: `http://127.0.0.1:${silent.port}`,
        token: "t",
        prefix: "down:",
        commandTimeoutMs: TIMEOUT_MS,
      }),
  ],
];

describe.each(redisDown)("Redis down (%s)", (_, open) => {
  it("answers a refresh 503 service_unavailable with Retry-After, logged with the request id", async () => {
    const { app, lines } = await brokenApp({ kv: open() });
    const response = await within(
      5_000,
      "the refresh",
      Promise.resolve(
        app.request("/t/default/v1/token/refresh", {
          method: "POST",
          headers: { "Content-Type": "application/json", "X-Request-Id": "req-redis-down" },
          body: JSON.stringify({ refresh_token: refreshToken }),
        }),
      ),
    );
    const answer = await readAnswer(response);
    expectProblem(answer, 503, "service_unavailable");
    expect(answer.headers.get("retry-after")).toBe("5");
    expect(lines).toContainEqual(
      expect.objectContaining({
        event: "store_unavailable",
        fields: expect.objectContaining({ request_id: "req-redis-down", store: "redis" }),
      }),
    );
  });

  it("keeps serving routes that need only Postgres, the limiter failing open in time", async () => {
    const { app } = await brokenApp({ kv: open() });
    const started = performance.now();
    const response = await within(5_000, "the JWKS", Promise.resolve(app.request("/t/default/.well-known/jwks.json")));
    expect(response.status).toBe(200);
    expect(performance.now() - started).toBeLessThan(3_000);
  });
});
