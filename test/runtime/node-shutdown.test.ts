/**
 * SIGTERM under load on the built Node server: readiness turns 503 at once,
 * requests keep being served through the drain delay (each answer closing its
 * connection), then the listener closes; no request that reached the server
 * is lost, and the process exits 0 within the drain delay + SHUTDOWN_TIMEOUT.
 */

import { existsSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GOOD_PASSWORD } from "../support/accounts.js";
import { createTestDatabase, type TestDatabase } from "../support/postgres.js";
import { deletePrefix, testPrefix } from "../support/redis.js";
import {
  ADMIN_KEY,
  adminHeaders,
  call,
  cleanupNodes,
  createTenant,
  ENTRY,
  exitOf,
  type NodeProcess,
  PROCESS_TEST_MS,
  serverEnv,
  startNode,
} from "../support/runtime-node.js";

const DRAIN_MS = 3_000;
const TIMEOUT_MS = 5_000;
/** Accounts 0-24 for the stragglers (4 each), 25-32 for the 8 loops, 33-38 for the 6 slow logins. */
const ACCOUNTS = 39;
const account = (n: number) => `load-${n}@example.com`;

let database: TestDatabase;
let prefix: string;
let server: NodeProcess;

beforeAll(async () => {
  expect(existsSync(ENTRY), `${ENTRY} is missing: run npm run build`).toBe(true);
  database = await createTestDatabase();
  prefix = testPrefix();
  server = await startNode(
    serverEnv(database.url, prefix, {
      SHUTDOWN_DRAIN_DELAY: `${DRAIN_MS}ms`,
      SHUTDOWN_TIMEOUT: `${TIMEOUT_MS}ms`,
      // 100 logins at once can wait for a hash longer than the default 2 s on a loaded machine, and would be
      // shed (503): this test is about the drain, so a hash may wait as long as the drain allows.
      PASSWORD_HASH_MAX_WAIT: `${DRAIN_MS + TIMEOUT_MS}ms`,
    }),
  );
  expect(
    (await createTenant(server, JSON.stringify({ slug: "load", name: "Load" }), adminHeaders(ADMIN_KEY))).status,
  ).toBe(201);
  // All the load comes from 127.0.0.1: lift the per-network limits.
  const unlimited = { limit: 1_000_000, window_seconds: 1 };
  const limits = await call(server, "/t/load/v1/admin/rate-limits", {
    method: "PUT",
    headers: adminHeaders(ADMIN_KEY),
    body: JSON.stringify({ login: unlimited, default: unlimited, signup: unlimited }),
  });
  expect(limits.status).toBe(200);
  // One account per few concurrent logins: the per-account throttle lets no more than 5 of one account's
  // attempts from one network be checked at once (API.md's account protection), and this load is about shutdown.
  for (let batch = 0; batch < ACCOUNTS; batch += 8) {
    const signups = Array.from({ length: Math.min(8, ACCOUNTS - batch) }, (_, i) =>
      call(server, "/t/load/v1/signup", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ email: account(batch + i), password: GOOD_PASSWORD }),
      }),
    );
    for (const signup of await Promise.all(signups)) expect(signup.status).toBe(201);
  }
}, 60_000);

afterAll(async () => {
  await cleanupNodes();
  if (prefix) await deletePrefix(prefix);
  await database?.drop();
}, 30_000);

interface Outcome {
  at: number;
  status?: number;
  connection?: string | null;
  error?: string;
}

/** Why a request failed: refused (never reached the server) or something worse. */
function errorCode(error: unknown): string {
  const cause = (error as { cause?: { code?: string } }).cause;
  return cause?.code ?? (error as Error).name;
}

/** One GET on a fresh connection, to read the hop-by-hop Connection header that fetch hides. */
function connectionHeader(path: string): Promise<{ status: number; connection: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${server.base}${path}`, { agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }));
    });
    req.on("error", reject);
    req.end();
  });
}

/**
 * A login whose body is sent in two parts, the second only on `finish()`:
 * the request is in flight (headers read, handler waiting for the body) for
 * as long as the test wants.
 */
function slowLogin(n: number) {
  const body = JSON.stringify({ email: account(33 + n), password: GOOD_PASSWORD });
  const req = httpRequest(`${server.base}/t/load/v1/login`, {
    method: "POST",
    agent: false,
    headers: { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) },
  });
  const answer = new Promise<{ status: number; body: Record<string, unknown>; at: number }>((resolve, reject) => {
    req.on("response", (res) => {
      let text = "";
      res.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text), at: Date.now() }));
    });
    req.on("error", reject);
  });
  req.write(body.slice(0, 10));
  return { answer, finish: () => req.end(body.slice(10)) };
}

describe("SIGTERM under load", () => {
  it(
    "turns unready at once, serves every request that reached it, closes connections, and exits 0",
    async () => {
      const outcomes: Outcome[] = [];
      let signalledAt = 0;
      // The load balancer stops routing here a while after readiness failed, well within the drain delay.
      let routed = true;
      const login = (n: number) =>
        fetch(`${server.base}/t/load/v1/login`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ email: account(n), password: GOOD_PASSWORD }),
          signal: AbortSignal.timeout(10_000),
        });
      const jwks = () => fetch(`${server.base}/t/load/.well-known/jwks.json`, { signal: AbortSignal.timeout(10_000) });
      const send = async (kind: "login" | "jwks", n: number) => {
        const at = Date.now();
        try {
          const response = await (kind === "login" ? login(n) : jwks());
          const body = (await response.json()) as Record<string, unknown>;
          const complete = kind === "login" ? typeof body.access_token === "string" : Array.isArray(body.keys);
          outcomes.push({
            at,
            status: complete ? response.status : -1,
            connection: response.headers.get("connection"),
          });
        } catch (error) {
          outcomes.push({ at, error: errorCode(error) });
        }
      };
      const loop = async (n: number) => {
        for (let i = 0; routed; i++) await send((n + i) % 2 === 0 ? "login" : "jwks", 25 + n);
      };
      const loops = Array.from({ length: 8 }, (_, n) => loop(n));
      await new Promise((resolve) => setTimeout(resolve, 500));

      signalledAt = Date.now();
      server.child.kill("SIGTERM");
      // Readiness fails at once; the process still serves.
      await new Promise((resolve) => setTimeout(resolve, 150));
      const ready = await call(server, "/readyz");
      expect(ready.status).toBe(503);
      expect(ready.json).toMatchObject({ code: "not_ready", checks: { shutdown: "draining" } });
      expect((await call(server, "/healthz")).status).toBe(200);
      expect(await connectionHeader("/healthz")).toEqual({ status: 200, connection: "close" });
      // Requests certainly in flight at the close: opened during the drain, their bodies arrive only after
      // the listener closed (opened here, not at the drain's end, so a loaded machine cannot be late for them).
      const slow = Array.from({ length: 6 }, (_, n) => slowLogin(n));

      await new Promise((resolve) => setTimeout(resolve, DRAIN_MS - 600));
      routed = false;
      await Promise.all(loops);
      // Stragglers: 100 logins sent late in the drain, as a load balancer slow to let go would send them;
      // every one must be answered. A second before its end: a loaded machine accepts connections late, and
      // connections still in the kernel's accept queue when the listener closes are reset.
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, signalledAt + DRAIN_MS - 1_000 - Date.now())));
      const stragglers = Array.from({ length: 100 }, (_, n) => send("login", n % 25));

      await expect
        .poll(() => server.output().includes('"event":"listener_closed"'), { timeout: DRAIN_MS + TIMEOUT_MS })
        .toBe(true);
      const closedAt = Date.now();
      for (const request of slow) request.finish();
      const slowAnswers = await Promise.all(slow.map((request) => request.answer));
      const exit = await exitOf(server, DRAIN_MS + TIMEOUT_MS + 5_000);
      await Promise.all(stragglers);
      for (const answer of slowAnswers) {
        expect(answer.status).toBe(200);
        expect(answer.body).toHaveProperty("access_token");
        expect(answer.at).toBeGreaterThanOrEqual(closedAt);
      }
      expect(exit, server.output()).toMatchObject({ code: 0, signal: null });
      expect(Date.now() - signalledAt).toBeLessThan(DRAIN_MS + TIMEOUT_MS);
      const served = outcomes.filter((o) => o.status !== undefined);
      const lost = outcomes.filter((o) => o.error !== undefined);
      expect(lost, JSON.stringify(lost.slice(0, 5))).toEqual([]);
      expect(served.every((o) => o.status === 200)).toBe(true);
      // Requests kept being served through the drain delay, each closing its connection.
      const drained = served.filter((o) => o.at >= signalledAt + 200);
      expect(drained.length).toBeGreaterThan(8);
      expect(served.filter((o) => o.at < signalledAt).length).toBeGreaterThan(8);
      expect(server.output()).toContain('"event":"shutting_down"');
      expect(server.output()).toContain('"event":"stopped"');
      await expect(fetch(`${server.base}/healthz`, { signal: AbortSignal.timeout(2_000) })).rejects.toThrow();
    },
    PROCESS_TEST_MS,
  );
});
