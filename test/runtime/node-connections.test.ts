/**
 * Connection slots of the built Node server: a newcomer past MAX_CONNECTIONS,
 * or past MAX_CONNECTIONS_PER_ADDRESS from its address, takes the slot of the
 * connection idle the longest, and is closed on arrival only when none is idle;
 * a trusted proxy's connections are not capped per address. A connection
 * that pipelines more than 16 requests unanswered is closed, and the rest of
 * its batch never reaches the app.
 */

import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/postgres.js";
import { parseExposition } from "../support/prometheus-text.js";
import { closedWithin, type RawClient, rawClient } from "../support/raw-client.js";
import { deletePrefix, testPrefix } from "../support/redis.js";
import {
  ADMIN_KEY,
  cleanupNodes,
  ENTRY,
  type NodeProcess,
  PROCESS_TEST_MS,
  serverEnv,
  startNode,
} from "../support/runtime-node.js";

let database: TestDatabase;
let prefix: string;

beforeAll(async () => {
  expect(existsSync(ENTRY), `${ENTRY} is missing: run npm run build`).toBe(true);
  database = await createTestDatabase();
  prefix = testPrefix();
}, 60_000);

afterAll(async () => {
  await cleanupNodes();
  if (prefix) await deletePrefix(prefix);
  await database?.drop();
}, 30_000);

const start = (extra: Record<string, string>) => startNode(serverEnv(database.url, prefix, extra));

/**
 * A connection with a request in progress: a tenant creation that asks to go on (Expect:
 * 100-continue) and never sends its body. Node answers 100 as it hands the request over.
 */
async function busy(server: NodeProcess): Promise<RawClient> {
  const client = await rawClient(server.port);
  client.socket.write(
    "POST /v1/admin/tenants HTTP/1.1\r\nHost: auth.node.test\r\n" +
      `Authorization: Bearer ${ADMIN_KEY}\r\nContent-Type: application/json\r\n` +
      "Content-Length: 100\r\nExpect: 100-continue\r\n\r\n",
  );
  await expect.poll(() => client.received(), { timeout: 5_000 }).toMatch(/^HTTP\/1\.1 100 Continue\r\n/);
  return client;
}

/** A keep-alive connection that was answered once and is left open, idle. */
async function idle(server: NodeProcess): Promise<RawClient> {
  const client = await rawClient(server.port);
  client.socket.write("GET /healthz HTTP/1.1\r\nHost: auth.node.test\r\n\r\n");
  await expect.poll(() => client.received(), { timeout: 5_000 }).toMatch(/^HTTP\/1\.1 200 [\s\S]*\{"status":"ok"\}$/);
  return client;
}

/** GET /healthz on a fresh connection that closes after it: its status, or 0 when the connection was closed. */
async function healthz(server: NodeProcess): Promise<number> {
  const client = await rawClient(server.port);
  client.socket.write("GET /healthz HTTP/1.1\r\nHost: auth.node.test\r\nConnection: close\r\n\r\n");
  await closedWithin(client, 5_000);
  return Number(/^HTTP\/1\.1 (\d{3}) /.exec(client.received())?.[1] ?? 0);
}

/** authority_connections_closed_total of a reason, read on a connection of its own. */
async function closedCount(server: NodeProcess, reason: string): Promise<number> {
  const response = await fetch(`${server.base}/metrics`, {
    headers: { Connection: "close" },
    signal: AbortSignal.timeout(5_000),
  });
  return parseExposition(await response.text()).value("authority_connections_closed_total", { reason });
}

const stillOpen = (client: RawClient) => !client.socket.destroyed && client.socket.readyState === "open";

describe("MAX_CONNECTIONS", () => {
  it(
    "a newcomer takes the slot of the connection idle the longest, so idle ones never lock a client out",
    async () => {
      const server = await start({ MAX_CONNECTIONS: "4" });
      const held = [];
      for (let i = 0; i < 4; i++) held.push(await idle(server));
      // Used again, the first becomes the one idle the shortest time.
      const first = held[0] as RawClient;
      first.socket.write("GET /healthz HTTP/1.1\r\nHost: auth.node.test\r\n\r\n");
      await expect.poll(() => first.received().match(/HTTP\/1\.1 200 /g)?.length, { timeout: 5_000 }).toBe(2);
      expect(await healthz(server)).toBe(200);
      // The one idle the longest made room; the others are kept.
      await closedWithin(held[1] as RawClient, 2_000);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect([held[0], held[2], held[3]].map((client) => stillOpen(client as RawClient))).toEqual([true, true, true]);
      // Newcomers that stay fill the free slot, then take the next one's, and so on.
      held.push(await idle(server), await idle(server));
      await closedWithin(held[2] as RawClient, 2_000);
      expect(await healthz(server)).toBe(200);
      await closedWithin(held[3] as RawClient, 2_000);
      expect([held[0], held[4], held[5]].map((client) => stillOpen(client as RawClient))).toEqual([true, true, true]);
      expect(await closedCount(server, "idle_evicted")).toBeGreaterThanOrEqual(3);
      for (const client of held) client.socket.destroy();
    },
    PROCESS_TEST_MS,
  );

  it(
    "a newcomer is closed on arrival when every connection has a request in progress, and served once one ends",
    async () => {
      const server = await start({ MAX_CONNECTIONS: "4" });
      const held = [await idle(server)];
      for (let i = 0; i < 3; i++) held.push(await busy(server));
      // One idle among three busy: it gives way, the newcomer is served.
      expect(await healthz(server)).toBe(200);
      await closedWithin(held[0] as RawClient, 2_000);
      held[0] = await busy(server);
      const extra = await rawClient(server.port);
      extra.socket.write("GET /healthz HTTP/1.1\r\nHost: auth.node.test\r\n\r\n");
      await closedWithin(extra, 2_000);
      expect(extra.received()).toBe("");
      expect(held.map(stillOpen)).toEqual([true, true, true, true]);

      for (const client of held) client.socket.destroy();
      await expect.poll(() => healthz(server), { timeout: 5_000 }).toBe(200);
      // The extra one, and any poll that came before the server saw the others go.
      expect(await closedCount(server, "connection_limit")).toBeGreaterThanOrEqual(1);
    },
    PROCESS_TEST_MS,
  );
});

describe("MAX_CONNECTIONS_PER_ADDRESS", () => {
  it(
    "one address holds at most so many: its own oldest idle one gives way, else the newcomer is closed",
    async () => {
      const server = await start({ MAX_CONNECTIONS_PER_ADDRESS: "2" });
      const held = [await busy(server), await busy(server)];
      const extra = await rawClient(server.port);
      extra.socket.write("GET /healthz HTTP/1.1\r\nHost: auth.node.test\r\n\r\n");
      await closedWithin(extra, 2_000);
      expect(extra.received()).toBe("");
      expect(held.map(stillOpen)).toEqual([true, true]);
      for (const client of held) client.socket.destroy();
      // Until the server has seen them go.
      await expect.poll(() => healthz(server), { timeout: 5_000 }).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 200));

      const kept = [await idle(server), await idle(server)];
      expect(await healthz(server)).toBe(200);
      await closedWithin(kept[0] as RawClient, 2_000);
      expect(stillOpen(kept[1] as RawClient)).toBe(true);
      kept[1]?.socket.destroy();
      // The extra one, and any poll that came before the server saw the busy ones go.
      expect(await closedCount(server, "address_limit")).toBeGreaterThanOrEqual(1);
    },
    PROCESS_TEST_MS,
  );

  it(
    "does not cap a trusted proxy, whose connections carry every client behind it",
    async () => {
      const server = await start({ MAX_CONNECTIONS_PER_ADDRESS: "2", TRUSTED_PROXIES: "127.0.0.1" });
      const held = [await busy(server), await busy(server), await busy(server)];
      expect(await healthz(server)).toBe(200);
      expect(held.map(stillOpen)).toEqual([true, true, true]);
      for (const client of held) client.socket.destroy();
      expect(await closedCount(server, "address_limit")).toBe(0);
    },
    PROCESS_TEST_MS,
  );
});

describe("pipelined requests", () => {
  const GET = "GET /healthz HTTP/1.1\r\nHost: auth.node.test\r\n\r\n";
  /** The `request` lines of /healthz the server wrote so far. */
  const healthLines = (server: NodeProcess) =>
    server.output().match(/"event":"request",[^\n]*"route":"\/healthz"/g)?.length ?? 0;
  /** Waits until the count of /healthz lines has not moved for half a second, and returns it. */
  async function settledLines(server: NodeProcess): Promise<number> {
    let last = -1;
    for (let now = healthLines(server); now !== last; now = healthLines(server)) {
      last = now;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    return last;
  }

  it(
    "16 at once are all answered on a connection that stays open",
    async () => {
      const server = await start({});
      const client = await rawClient(server.port);
      client.socket.write(GET.repeat(16));
      await expect.poll(() => client.received().match(/HTTP\/1\.1 200 /g)?.length, { timeout: 5_000 }).toBe(16);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(stillOpen(client)).toBe(true);
      client.socket.destroy();
    },
    PROCESS_TEST_MS,
  );

  it(
    "past 16 unanswered the connection is closed, and the rest of its batch never reaches the app",
    async () => {
      const server = await start({});
      const before = await settledLines(server);
      const client = await rawClient(server.port);
      // About 90 KB: more than one read's worth, all sent before the server answers any.
      client.socket.write(GET.repeat(2_000));
      await closedWithin(client, 5_000);
      expect(client.received().match(/HTTP\/1\.1 200 /g)?.length ?? 0).toBeLessThanOrEqual(16);
      // Those handed over are logged with their status, as any request whose client went; no more ran.
      expect((await settledLines(server)) - before).toBeLessThanOrEqual(16);
      expect(await closedCount(server, "pipeline_limit")).toBe(1);
      expect(await healthz(server)).toBe(200);
    },
    PROCESS_TEST_MS,
  );

  it(
    "refusals too: a batch refused for its Host or its Expect is answered and logged at most 16 times",
    async () => {
      const server = await start({});
      const refusedLines = () => server.output().match(/"event":"request",[^\n]*"refused":/g)?.length ?? 0;
      for (const request of [
        "GET /healthz HTTP/1.1\r\n\r\n",
        "GET /healthz HTTP/1.1\r\nHost: auth.node.test\r\nExpect: foo\r\n\r\n",
      ]) {
        const before = refusedLines();
        const client = await rawClient(server.port);
        client.socket.write(request.repeat(2_000));
        await closedWithin(client, 5_000);
        await new Promise((resolve) => setTimeout(resolve, 500));
        expect(refusedLines() - before).toBeGreaterThan(0);
        expect(refusedLines() - before).toBeLessThanOrEqual(16);
      }
    },
    PROCESS_TEST_MS,
  );
});
