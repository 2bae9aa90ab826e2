/**
 * Slow clients against the built Node server (slowloris): a client that
 * trickles its headers, or a declared body, is cut off after
 * HTTP_HEADERS_TIMEOUT / HTTP_REQUEST_TIMEOUT (408, then the socket closes)
 * while other requests keep being served; idle keep-alive connections close
 * after HTTP_KEEP_ALIVE_TIMEOUT. Node's defaults would hold such a client for
 * 300 s. Connection slots are in node-connections.test.ts.
 */

import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/postgres.js";
import { parseExposition } from "../support/prometheus-text.js";
import { closedWithin, rawClient } from "../support/raw-client.js";
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

const HEADERS_TIMEOUT_MS = 1_000;
const REQUEST_TIMEOUT_MS = 2_000;
const KEEP_ALIVE_MS = 1_500;
/** Node checks the timeouts on a tick of at most 1 s (src/entry/node.ts), plus scheduling. */
const LATENESS_MS = 3_000;

let database: TestDatabase;
let prefix: string;
let server: NodeProcess;

beforeAll(async () => {
  expect(existsSync(ENTRY), `${ENTRY} is missing: run npm run build`).toBe(true);
  database = await createTestDatabase();
  prefix = testPrefix();
  server = await startNode(
    serverEnv(database.url, prefix, {
      HTTP_HEADERS_TIMEOUT: `${HEADERS_TIMEOUT_MS}ms`,
      HTTP_REQUEST_TIMEOUT: `${REQUEST_TIMEOUT_MS}ms`,
      HTTP_KEEP_ALIVE_TIMEOUT: `${KEEP_ALIVE_MS}ms`,
    }),
  );
}, 60_000);

afterAll(async () => {
  await cleanupNodes();
  if (prefix) await deletePrefix(prefix);
  await database?.drop();
}, 30_000);

/** GET /healthz over fresh connections until `stop` resolves; resolves every status seen. */
async function healthLoop(base: string, stop: Promise<unknown>): Promise<number[]> {
  const statuses: number[] = [];
  let done = false;
  void stop.finally(() => {
    done = true;
  });
  while (!done) {
    const response = await fetch(`${base}/healthz`, {
      headers: { Connection: "close" },
      signal: AbortSignal.timeout(2_000),
    }).catch(() => undefined);
    await response?.body?.cancel();
    statuses.push(response?.status ?? 0);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return statuses;
}

/** Node's answer to a request that ran out of time, before it closes the connection. */
const TIMED_OUT = /^HTTP\/1\.1 408 Request Timeout\r\n/;

/** The `request` lines the server wrote for the request answered with this X-Request-Id. */
function requestLines(answer: string): Record<string, unknown>[] {
  const id = /\r\nX-Request-Id: ([0-9a-f-]{36})\r\n/.exec(answer)?.[1];
  expect(id).toBeDefined();
  return server
    .output()
    .split("\n")
    .filter((line) => line.includes(`"request_id":"${id}"`))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** A 408 is logged like any request (docs/operations.md), once. */
async function expectTimeoutLogged(answer: string): Promise<void> {
  await expect.poll(() => requestLines(answer).length, { timeout: 2_000 }).toBe(1);
  expect(requestLines(answer)[0]).toMatchObject({
    event: "request",
    method: "unknown",
    route: "unmatched",
    status: 408,
    refused: "request_timeout",
    remote_address: expect.stringMatching(/127\.0\.0\.1/),
  });
}

/** The head of a tenant creation whose JSON body follows in chunks (RFC 9112 §7.1). */
const chunkedTenantPost = (requestId: string) =>
  "POST /v1/admin/tenants HTTP/1.1\r\nHost: auth.node.test\r\n" +
  `Authorization: Bearer ${ADMIN_KEY}\r\nContent-Type: application/json\r\n` +
  `X-Request-Id: ${requestId}\r\nTransfer-Encoding: chunked\r\n\r\n`;

/** Every log line of the request with this X-Request-Id. */
const linesOf = (requestId: string) =>
  server
    .output()
    .split("\n")
    .filter((line) => line.includes(`"request_id":"${requestId}"`))
    .map((line) => JSON.parse(line) as Record<string, unknown>);

/** authority_http_requests_total of one method, route and status, as /metrics says now. */
async function requestCount(method: string, route: string, status: string): Promise<number> {
  const response = await fetch(`${server.base}/metrics`, { signal: AbortSignal.timeout(5_000) });
  return parseExposition(await response.text()).value("authority_http_requests_total", { method, route, status });
}

describe("slow clients", () => {
  it(
    "a client trickling its headers is cut off after HTTP_HEADERS_TIMEOUT, while others are served",
    async () => {
      const slow = await rawClient(server.port);
      slow.socket.write("GET /healthz HTTP/1.1\r\nHost: auth.node.test\r\n");
      // Each header line arrives well within any per-packet timeout; the whole never ends.
      slow.trickle("X-Slow: 1\r\n", 200);
      const closing = closedWithin(slow, HEADERS_TIMEOUT_MS + LATENESS_MS);
      const served = healthLoop(
        server.base,
        closing.catch(() => undefined),
      );
      const tookMs = await closing;
      expect(tookMs).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 100);
      expect(slow.received()).toMatch(TIMED_OUT);
      await expectTimeoutLogged(slow.received());
      const statuses = await served;
      expect(statuses.length).toBeGreaterThan(3);
      expect(statuses.every((status) => status === 200)).toBe(true);
    },
    PROCESS_TEST_MS,
  );

  it(
    "a client trickling a declared body is cut off after HTTP_REQUEST_TIMEOUT, while others are served",
    async () => {
      const slow = await rawClient(server.port);
      const body = JSON.stringify({ slug: "slowbody", name: "x".repeat(200) });
      slow.socket.write(
        "POST /v1/admin/tenants HTTP/1.1\r\nHost: auth.node.test\r\n" +
          `Authorization: Bearer ${ADMIN_KEY}\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`,
      );
      slow.trickle(" ", 200);
      const closing = closedWithin(slow, REQUEST_TIMEOUT_MS + LATENESS_MS);
      const served = healthLoop(
        server.base,
        closing.catch(() => undefined),
      );
      const tookMs = await closing;
      expect(tookMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 100);
      expect(slow.received()).toMatch(TIMED_OUT);
      // Its headers had arrived: the request is the app's, whose handler failed reading the body and
      // wrote the request's one line (the status it answered, though the client was sent the 408).
      await expect
        .poll(() => server.output().match(/"event":"request",[^\n]*"method":"POST","route":"\/v1\/admin\/tenants"/g))
        .toHaveLength(1);
      expect(requestLines(slow.received())).toEqual([]);
      const statuses = await served;
      expect(statuses.length).toBeGreaterThan(5);
      expect(statuses.every((status) => status === 200)).toBe(true);
      // The handler that waited for the body failed quietly: the process is up and logged no crash.
      expect(server.hasExited()).toBe(false);
      expect(server.output()).not.toContain('"status":500');
    },
    PROCESS_TEST_MS,
  );

  it(
    "a chunked body whose client goes away midway is the app's 400, not an unhandled error",
    async () => {
      const requestId = `chunked-gone-${Date.now()}`;
      const failedBefore = await requestCount("POST", "/v1/admin/tenants", "500");
      const client = await rawClient(server.port);
      client.socket.write(`${chunkedTenantPost(requestId)}5\r\n{"slu\r\n`);
      await new Promise((resolve) => setTimeout(resolve, 200));
      client.socket.destroy();
      // docs/operations.md: logged with the status the app gave, as a declared body that stops is.
      await expect.poll(() => linesOf(requestId).filter((line) => line.event === "request")).toHaveLength(1);
      expect(linesOf(requestId)).toEqual([
        expect.objectContaining({ event: "request", method: "POST", route: "/v1/admin/tenants", status: 400 }),
      ]);
      expect(await requestCount("POST", "/v1/admin/tenants", "500")).toBe(failedBefore);
    },
    PROCESS_TEST_MS,
  );

  it(
    "a chunked body trickled past HTTP_REQUEST_TIMEOUT is cut off with 408, and the app's line says 400",
    async () => {
      const requestId = `chunked-slow-${Date.now()}`;
      const slow = await rawClient(server.port);
      slow.socket.write(`${chunkedTenantPost(requestId)}5\r\n{"slu\r\n`);
      // Each chunk is complete and on time; the body never ends.
      slow.trickle("1\r\n \r\n", 200);
      const tookMs = await closedWithin(slow, REQUEST_TIMEOUT_MS + LATENESS_MS);
      expect(tookMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 100);
      expect(slow.received()).toMatch(TIMED_OUT);
      await expect.poll(() => linesOf(requestId).filter((line) => line.event === "request")).toHaveLength(1);
      expect(linesOf(requestId)).toEqual([
        expect.objectContaining({ event: "request", method: "POST", route: "/v1/admin/tenants", status: 400 }),
      ]);
    },
    PROCESS_TEST_MS,
  );

  it(
    "an idle keep-alive connection is kept for HTTP_KEEP_ALIVE_TIMEOUT, then closed",
    async () => {
      const client = await rawClient(server.port);
      client.socket.write("GET /healthz HTTP/1.1\r\nHost: auth.node.test\r\n\r\n");
      await expect.poll(() => client.received(), { timeout: 5_000 }).toMatch(/^HTTP\/1\.1 200/);
      const answeredAt = client.firstDataAt() ?? 0;
      const tookMs = await closedWithin(client, KEEP_ALIVE_MS + LATENESS_MS);
      expect(tookMs - answeredAt).toBeGreaterThanOrEqual(KEEP_ALIVE_MS - 100);
    },
    PROCESS_TEST_MS,
  );
});
