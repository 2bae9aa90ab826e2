/**
 * The SDK client's transport: retries only for idempotent calls (counted at
 * the fetch), Retry-After, timeouts against a server that never answers,
 * the caller's abort, network failures and odd answers as results, and
 * programmer errors that throw.
 */
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { createClient, type FetchLike } from "@authority/sdk/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../support/ports.js";
import {
  countingFetch,
  email,
  expectFailure,
  GOOD_PASSWORD,
  type ServedApp,
  startServedApp,
  TEST_ADMIN_KEY,
  tokensOf,
  unwrap,
} from "./client-harness.js";

let s: ServedApp;
let hanging: { server: Server; baseUrl: string; connections: number; sockets: Set<Socket>; open: ServerResponse[] };
let accessToken: string;
const fast = { baseDelayMs: 5, maxDelayMs: 2_000 };

beforeAll(async () => {
  s = await startServedApp();
  unwrap(await s.admin.admin.createTenant({ slug: "net", name: "Transport" }));
  const user = createClient({ baseUrl: s.baseUrl, tenant: "net" });
  accessToken = tokensOf(await user.signup({ email: email("net"), password: GOOD_PASSWORD })).access_token;

  // Accepts every request and never answers it; `/stall` sends the head and then nothing.
  const sockets = new Set<Socket>();
  const open: ServerResponse[] = [];
  const server = createServer((req, res) => {
    hanging.connections++;
    open.push(res);
    if (req.url?.includes("/stall")) {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.write('{"status":');
    }
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  hanging = {
    server,
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: 0,
    sockets,
    open,
  };
});
afterAll(async () => {
  for (const socket of hanging?.sockets ?? []) socket.destroy();
  await new Promise((resolve) => hanging?.server.close(resolve));
  await s?.close();
});

/** Answers the first `times` requests with `status` (and headers) itself, then passes requests on to the service. */
function failingFirst(times: number, status: number, headers: Record<string, string> = {}, body = "") {
  let left = times;
  return countingFetch(((input, init) => {
    if (left-- > 0) {
      return Promise.resolve(
        new Response(body || null, { status, headers: { "X-Request-Id": "synthetic", ...headers } }),
      );
    }
    return fetch(input, init);
  }) as FetchLike);
}

describe("retries", () => {
  it("retries idempotent calls (GET, PUT, DELETE) after 503, 502, 500 and succeeds", async () => {
    const counting = failingFirst(2, 503);
    const c = createClient({ baseUrl: s.baseUrl, tenant: "net", fetch: counting.fetch, retries: fast });
    const me = await c.me({ accessToken });
    expect(me).toMatchObject({ ok: true, attempts: 3 });
    expect(counting.count("/v1/me", "GET")).toBe(3);

    const put = failingFirst(1, 502);
    const admin = createClient({ ...clientOptions(put.fetch), apiKey: TEST_ADMIN_KEY });
    unwrap(await admin.admin.setRateLimits({}));
    expect(put.count("/v1/admin/rate-limits", "PUT")).toBe(2);

    const del = failingFirst(1, 500);
    const deleting = createClient(clientOptions(del.fetch));
    expectFailure(await deleting.sessions.delete(crypto.randomUUID(), { accessToken }), 404, "not_found");
    expect(del.sent.map((r) => r.method)).toEqual(["DELETE", "DELETE"]);
  });

  it("never retries POSTs: login, signup, refresh, exchange, logout, introspect, rotate", async () => {
    const counting = failingFirst(100, 503);
    const c = createClient({ ...clientOptions(counting.fetch), apiKey: TEST_ADMIN_KEY });
    const calls = [
      c.login({ email: email(), password: GOOD_PASSWORD }),
      c.signup({ email: email(), password: GOOD_PASSWORD }),
      c.refresh({ refresh_token: "r" }),
      c.exchange({ code: "c" }),
      c.logout({}, { accessToken }),
      c.introspect({ token: "t" }),
      c.revoke({ token: "t" }),
      c.apiKeys.verify("sk_x"),
      c.apiKeys.create({ name: "n", scopes: [] }, { accessToken }),
      c.admin.rotateSigningKeys(),
      c.admin.revokeUserSessions(crypto.randomUUID()),
      c.admin.createTenant({ slug: "never", name: "n" }),
    ];
    for (const result of await Promise.all(calls)) expectFailure(result, 503, "http_error");
    expect(counting.sent).toHaveLength(calls.length);
    expect(counting.sent.every((r) => r.method === "POST")).toBe(true);
  });

  it("stops after the configured retries; retries: 0 sends once; 4xx is never retried", async () => {
    const three = failingFirst(100, 503);
    expectFailure(
      await createClient({ ...clientOptions(three.fetch), retries: { retries: 3, ...fast } }).me({ accessToken }),
      503,
      "http_error",
    );
    expect(three.sent).toHaveLength(4);
    const none = failingFirst(100, 503);
    await createClient(clientOptions(none.fetch)).me({ accessToken, retries: 0 });
    expect(none.sent).toHaveLength(1);
    const notFound = countingFetch();
    expectFailure(await createClient(clientOptions(notFound.fetch)).saml.metadata("absent"), 404, "not_found");
    expect(notFound.sent).toHaveLength(1);
  });

  it("honours Retry-After on 429 and 503; a longer wait than the cap returns the failure at once", async () => {
    const counting = failingFirst(1, 429, { "Retry-After": "1", "Content-Type": "application/problem+json" }, "{}");
    const started = Date.now();
    unwrap(await createClient(clientOptions(counting.fetch)).me({ accessToken }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(counting.sent).toHaveLength(2);

    const tooLong = failingFirst(5, 503, { "Retry-After": "120" });
    const before = Date.now();
    const result = await createClient(clientOptions(tooLong.fetch)).jwks();
    expect(Date.now() - before).toBeLessThan(500);
    expectFailure(result, 503, "http_error");
    expect(result.ok ? undefined : result.problem.retryAfter).toBe(120);
    expect(tooLong.sent).toHaveLength(1);
  });

  it("retries GETs after network failures (connection refused), bounded; POSTs once", async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const counting = countingFetch();
    const c = createClient({ baseUrl: closed, tenant: "net", fetch: counting.fetch, retries: fast });
    const result = await c.discovery();
    expect(result).toMatchObject({
      ok: false,
      kind: "network",
      status: 0,
      attempts: 3,
      problem: { code: "network_error" },
    });
    expect(counting.sent).toHaveLength(3);
    expect((await c.login({ email: "a@example.com", password: "x" })).ok).toBe(false);
    expect(counting.sent).toHaveLength(4);
  });
});

describe("timeouts and aborts", () => {
  it("times out against a server that never answers: a result, each GET attempt bounded, POST once", async () => {
    const before = hanging.connections;
    const c = createClient({ baseUrl: hanging.baseUrl, tenant: "net", timeoutMs: 200, retries: fast });
    const started = Date.now();
    const result = await c.me({ accessToken: "t" });
    const elapsed = Date.now() - started;
    expect(result).toMatchObject({ ok: false, kind: "timeout", status: 0, attempts: 3, problem: { code: "timeout" } });
    expect(elapsed).toBeGreaterThanOrEqual(600);
    expect(elapsed).toBeLessThan(5_000);
    const login = await c.login({ email: "a@example.com", password: "x" });
    expect(login).toMatchObject({ ok: false, kind: "timeout", attempts: 1 });
    expect(hanging.connections - before).toBe(4);
  });

  it("counts a body that stalls after the head as a timeout too", async () => {
    const c = createClient({ baseUrl: `${hanging.baseUrl}/stall`, timeoutMs: 300, retries: 0 });
    expect(await c.health()).toMatchObject({ ok: false, kind: "timeout" });
  });

  it("a per-call timeout overrides the client's; the caller's signal aborts (no retry)", async () => {
    const c = createClient({ baseUrl: hanging.baseUrl, tenant: "net", timeoutMs: 60_000, retries: fast });
    const started = Date.now();
    expect(await c.jwks({ timeoutMs: 100, retries: 0 })).toMatchObject({ kind: "timeout" });
    expect(Date.now() - started).toBeLessThan(2_000);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const aborted = await c.jwks({ signal: controller.signal });
    expect(aborted).toMatchObject({ ok: false, kind: "aborted", attempts: 1, problem: { code: "aborted" } });
    expect(await c.jwks({ signal: AbortSignal.abort() })).toMatchObject({ kind: "aborted", attempts: 0 });
  });
});

describe("answers that are not what they should be", () => {
  it("a non-problem error (a proxy's HTML 502) is still a result with a problem", async () => {
    const proxy = failingFirst(100, 502, { "Content-Type": "text/html" }, "<html>Bad gateway</html>");
    const result = await createClient(clientOptions(proxy.fetch)).me({ accessToken, retries: 0 });
    expectFailure(result, 502, "http_error");
    expect(result.ok ? "" : result.problem.detail).toContain("Bad gateway");
  });

  it("a success that is not JSON is invalid_response", async () => {
    const garbage = failingFirst(1, 200, { "Content-Type": "application/json" }, "<html>");
    expect(await createClient(clientOptions(garbage.fetch)).jwks()).toMatchObject({
      ok: false,
      kind: "invalid_response",
      status: 200,
    });
  });

  it("a fetch that throws is a network failure, never a throw", async () => {
    const broken: FetchLike = () => Promise.reject(new TypeError("fetch failed"));
    const result = await createClient({ baseUrl: s.baseUrl, fetch: broken, retries: 0 }).health();
    expect(result).toMatchObject({ ok: false, kind: "network", problem: { detail: "fetch failed" } });
    expect(result.ok ? undefined : result.cause).toBeInstanceOf(TypeError);
  });

  it("echoes the request id of every answer", async () => {
    const result = await createClient({ baseUrl: s.baseUrl, headers: { "X-Request-Id": "sdk-test-1" } }).health();
    expect(result).toMatchObject({ ok: true, requestId: "sdk-test-1" });
  });
});

describe("programmer errors throw", () => {
  it("refuses bad options", () => {
    expect(() => createClient({ baseUrl: "not a url" })).toThrow(TypeError);
    expect(() => createClient({ baseUrl: "ftp://example.com" })).toThrow(TypeError);
    expect(() => createClient({ baseUrl: "https://example.com/?x=1" })).toThrow(TypeError);
    expect(() => createClient({ baseUrl: s.baseUrl, tenant: "Bad Tenant" })).toThrow(TypeError);
    expect(() => createClient({ baseUrl: s.baseUrl, timeoutMs: 0 })).toThrow(TypeError);
    expect(() => createClient({ baseUrl: s.baseUrl, retries: -1 })).toThrow(TypeError);
    expect(() => createClient({ baseUrl: s.baseUrl, retries: 1_000 })).toThrow(TypeError);
    expect(() => createClient({ baseUrl: s.baseUrl, apiKey: "" })).toThrow(TypeError);
    expect(() => createClient({ baseUrl: s.baseUrl, fetch: "fetch" as never })).toThrow(TypeError);
    expect(createClient({ baseUrl: `${s.baseUrl}/prefix//` }).baseUrl).toBe(`${s.baseUrl}/prefix`);
  });
});

const clientOptions = (fetchImpl: FetchLike) => ({
  baseUrl: s.baseUrl,
  tenant: "net",
  fetch: fetchImpl,
  retries: fast,
});
