/**
 * Postgres and Redis behind a TCP proxy whose network fails on demand: a
 * black hole (connections open, nothing answered) or a lock held past the
 * statement timeout. Requests must be answered in time (503, never a hang),
 * nothing given up on may run late, and the service must recover by itself
 * once the network is back.
 */
import { Redis } from "ioredis";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPgDatabase } from "../../src/adapters/postgres/pg.js";
import { IoRedisKeyValueStore } from "../../src/adapters/redis/ioredis.js";
import { StoreUnavailableError } from "../../src/core/errors.js";
import { appClient, GOOD_PASSWORD } from "../support/accounts.js";
import { startTestApp, TEST_ADMIN_KEY, type TestApp } from "../support/app.js";
import { freePort } from "../support/ports.js";
import { createTestDatabase, type TestDatabase } from "../support/postgres.js";
import { expectProblem, readAnswer } from "../support/problem.js";
import { recordingLogger } from "../support/recorders.js";
import { deletePrefix, testPrefix } from "../support/redis.js";
import { REDIS_URL } from "../support/services.js";
import { startTcpProxy, type TcpProxy, within } from "../support/tcp-proxy.js";

const TIMEOUT_MS = 500;

/** Polls `probe` until it is true, for at most `ms`. */
async function eventually(ms: number, what: string, probe: () => Promise<boolean>): Promise<void> {
  const giveUpAt = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > giveUpAt) throw new Error(`${what} not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const timed = async <T>(work: () => Promise<T>) => {
  const started = performance.now();
  const result = await work();
  return { result, ms: performance.now() - started };
};

describe("a Redis that stops answering", () => {
  let proxy: TcpProxy;
  let t: TestApp;
  let kv: IoRedisKeyValueStore;
  const prefix = testPrefix();

  beforeAll(async () => {
    proxy = await startTcpProxy(REDIS_URL);
    kv = new IoRedisKeyValueStore({ url: proxy.through(REDIS_URL), prefix, commandTimeoutMs: TIMEOUT_MS });
    t = await startTestApp({ kv });
    await appClient(t).createTenant("stall");
  });
  afterAll(async () => {
    await t?.close();
    await proxy?.close();
    await deletePrefix(prefix);
  });

  it("answers 503 within the command timeout, fails fast meanwhile, runs nothing late, and recovers", async () => {
    const api = appClient(t);
    const signup = await api.signup("stall", "stall@example.com", GOOD_PASSWORD);
    expect(signup.status).toBe(201);
    const { refresh_token: token } = (await signup.json()) as { refresh_token: string };

    proxy.blackHole();
    const first = await timed(() => within(5_000, "a refresh", Promise.resolve(api.refresh("stall", token))));
    const answer = await readAnswer(first.result);
    expectProblem(answer, 503, "service_unavailable");
    expect(answer.headers.get("retry-after")).toBe("5");
    expect(first.ms).toBeLessThan(4 * TIMEOUT_MS);
    // The connection that timed out is replaced, and the new one is not ready: no request waits now.
    const second = await timed(() => within(5_000, "a refresh", Promise.resolve(api.refresh("stall", token))));
    expect(second.result.status).toBe(503);
    expect(second.ms).toBeLessThan(TIMEOUT_MS / 2);
    const login = await within(5_000, "a login", Promise.resolve(api.login("stall", "stall@example.com")));
    expect(login.status).toBe(503);
    // Commands issued during the outage fail at once: none waits in a queue, to be sent once Redis is back.
    for (let i = 0; i < 5; i++) {
      const write = await timed(() => within(5_000, "a write", kv.set("late", "1")).catch((error: unknown) => error));
      expect(write.result).toBeInstanceOf(StoreUnavailableError);
      expect(write.ms).toBeLessThan(50);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    proxy.restore();
    await eventually(10_000, "ready again", async () => (await t.app.request("/readyz")).status === 200);
    const direct = new Redis(REDIS_URL);
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await direct.get(`${prefix}late`)).toBeNull();
    } finally {
      direct.disconnect();
    }
    // The refreshes given up on never rotated the token: it refreshes now, and is not taken for reuse.
    const after = await api.refresh("stall", token);
    expect(after.status, await after.clone().text()).toBe(200);
  });

  it("starts while Redis is down, and becomes ready once Redis is up", async () => {
    const port = await freePort();
    const own = testPrefix();
    const late = new IoRedisKeyValueStore({
      url: `redis://127.0.0.1:${port}`,
      prefix: own,
      commandTimeoutMs: TIMEOUT_MS,
    });
    const app = await startTestApp({ kv: late });
    let up: TcpProxy | undefined;
    try {
      expect((await app.app.request("/readyz")).status).toBe(503);
      up = await startTcpProxy(REDIS_URL, port);
      await eventually(10_000, "ready once Redis is up", async () => (await app.app.request("/readyz")).status === 200);
    } finally {
      await app.close();
      await up?.close();
      await deletePrefix(own);
    }
  });
});

describe("a Postgres that holds a lock or stops answering", () => {
  let proxy: TcpProxy;
  let database: TestDatabase;
  let t: TestApp;
  const adminHeaders = { Authorization: `Bearer ${TEST_ADMIN_KEY}` };
  const logs = recordingLogger();
  const listUsers = () => t.app.request("/t/pg/v1/admin/users", { headers: adminHeaders });

  beforeAll(async () => {
    database = await createTestDatabase();
    proxy = await startTcpProxy(database.url);
    const db = createPgDatabase(proxy.through(database.url), { max: 2, statementTimeoutMs: TIMEOUT_MS });
    t = await startTestApp({ db, logger: logs.logger });
    await appClient(t).createTenant("pg");
    expect((await appClient(t).signup("pg", "locked@example.com")).status).toBe(201);
  });
  afterAll(async () => {
    await t?.close();
    await proxy?.close();
    await database?.drop();
  });

  it("answers 503 when a statement waits on a lock past the statement timeout", async () => {
    const holder = new pg.Client({ connectionString: database.url });
    await holder.connect();
    try {
      await holder.query("BEGIN");
      await holder.query("LOCK TABLE users IN ACCESS EXCLUSIVE MODE");
      const login = await timed(() =>
        within(5_000, "a login", Promise.resolve(appClient(t).login("pg", "locked@example.com"))),
      );
      expectProblem(await readAnswer(login.result), 503, "service_unavailable");
      expect(login.ms).toBeLessThan(4 * TIMEOUT_MS);
      // Postgres cancelled it (statement_timeout): the client did not have to give up on the connection.
      const outage = logs.lines.find((line) => line.event === "store_unavailable");
      expect(outage?.fields).toMatchObject({ store: "postgres", cause: { code: "57014" } });
    } finally {
      await holder.query("ROLLBACK");
      await holder.end();
    }
    expect((await appClient(t).login("pg", "locked@example.com")).status).toBe(200);
  });

  it("drops the connections a black hole took, answers 503 meanwhile, and recovers when the network is back", async () => {
    // Both pooled connections in use at least once, so the black hole holds them.
    expect((await Promise.all([listUsers(), listUsers()])).map((r) => r.status)).toEqual([200, 200]);
    proxy.blackHole();
    for (let i = 0; i < 3; i++) {
      const answer = await readAnswer(await within(10_000, "the user list", Promise.resolve(listUsers())));
      expectProblem(answer, 503, "service_unavailable");
    }
    proxy.restore();
    await eventually(15_000, "the user list again", async () => (await listUsers()).status === 200);
  });

  it("closes its pool in time with a query stuck in a black hole (a shutdown exits cleanly)", async () => {
    proxy.blackHole();
    const stuck = listUsers();
    await new Promise((resolve) => setTimeout(resolve, 100));
    // The query's client-side timeout (a second past the statement timeout) frees its connection.
    await within(TIMEOUT_MS + 2_000, "closing the pool", t.deps.db.close());
    expect((await stuck).status).toBe(503);
    proxy.restore();
  });
});
