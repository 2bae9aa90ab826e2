import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseTraceparent } from "../../src/http/middleware/request-id.js";
import { correlatedFetch, type RequestScope } from "../../src/http/request-scope.js";
import { appClient, GOOD_PASSWORD, JSON_HEADERS, type TokenBody } from "../support/accounts.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { recordingLogger } from "../support/recorders.js";

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT = "00f067aa0ba902b7";

describe("structured request logs and correlation", () => {
  let t: TestApp;
  const { logger, lines } = recordingLogger();
  const linesOf = (requestId: string) => lines.filter((l) => l.fields.request_id === requestId);

  beforeAll(async () => {
    t = await startTestApp({ logger });
    await appClient(t).createTenant("logs");
    expect((await appClient(t).signup("logs", "logged@example.com")).status).toBe(201);
  });
  afterAll(async () => {
    await t?.close();
  });

  it("writes one line per request with route pattern, status, duration, tenant, user and session, and the caller's trace", async () => {
    const response = await t.app.request("/t/logs/v1/login", {
      method: "POST",
      headers: { ...JSON_HEADERS, "X-Request-Id": "login-1", traceparent: `00-${TRACE}-${PARENT}-01` },
      body: JSON.stringify({ email: "logged@example.com", password: GOOD_PASSWORD }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as TokenBody;
    const request = linesOf("login-1").filter((l) => l.event === "request");
    expect(request).toHaveLength(1);
    expect(request[0]?.fields).toMatchObject({
      method: "POST",
      route: "/t/:tenant/v1/login",
      status: 200,
      tenant: "logs",
      session_id: body.session_id,
      user_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      trace_id: TRACE,
    });
    expect(request[0]?.fields.duration_ms).toBeGreaterThan(0);
    // The domain event of the same request carries the same ids.
    expect(linesOf("login-1").map((l) => l.event)).toContain("login_succeeded");
    const all = JSON.stringify(linesOf("login-1"));
    expect(all).not.toContain("logged@example.com");
    expect(all).not.toContain(GOOD_PASSWORD);
    expect(all).not.toContain(body.access_token);

    // The response continues the caller's trace with this service's own span id.
    const traceresponse = parseTraceparent(response.headers.get("traceresponse"));
    expect(traceresponse).toMatchObject({ traceId: TRACE, flags: "01" });
    expect(traceresponse?.parentId).not.toBe(PARENT);
  });

  it("logs who a bearer request acted for, and failures with their status", async () => {
    const login = (await (await appClient(t).login("logs", "logged@example.com")).json()) as TokenBody;
    await t.app.request("/t/logs/v1/me", {
      headers: { Authorization: `Bearer ${login.access_token}`, "X-Request-Id": "me-1" },
    });
    expect(linesOf("me-1").find((l) => l.event === "request")?.fields).toMatchObject({
      route: "/t/:tenant/v1/me",
      status: 200,
      session_id: login.session_id,
    });
    await t.app.request("/t/logs/v1/me", { headers: { Authorization: "Bearer nope", "X-Request-Id": "me-2" } });
    expect(linesOf("me-2").find((l) => l.event === "request")?.fields).toMatchObject({ status: 401 });
    await t.app.request("/t/nope/v1/me", { headers: { "X-Request-Id": "me-3" } });
    expect(linesOf("me-3").find((l) => l.event === "request")?.fields).toMatchObject({ status: 404 });
  });

  it.each([
    ["uppercase hex", `00-${TRACE.toUpperCase()}-${PARENT}-01`],
    ["an all-zero trace id", `00-${"0".repeat(32)}-${PARENT}-01`],
    ["an all-zero parent id", `00-${TRACE}-${"0".repeat(16)}-01`],
    ["version ff", `ff-${TRACE}-${PARENT}-01`],
    ["extra fields on version 00", `00-${TRACE}-${PARENT}-01-extra`],
    ["a short trace id", `00-${TRACE.slice(1)}-${PARENT}-01`],
    ["garbage", "not a traceparent"],
  ])("starts a new trace for a traceparent with %s", async (_why, header) => {
    const response = await t.app.request("/healthz", { headers: { traceparent: header } });
    const trace = parseTraceparent(response.headers.get("traceresponse"));
    expect(trace?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(trace?.traceId).not.toBe(TRACE);
  });

  it("accepts a later traceparent version's extra fields (W3C Trace Context §3.2.4)", async () => {
    const response = await t.app.request("/healthz", { headers: { traceparent: `01-${TRACE}-${PARENT}-00-more` } });
    expect(parseTraceparent(response.headers.get("traceresponse"))).toMatchObject({ traceId: TRACE, flags: "00" });
  });
});

describe("outgoing calls", () => {
  const scope: RequestScope = { requestId: "req-out", traceId: TRACE, spanId: "a1b2c3d4e5f60718", traceFlags: "01" };
  const seen: Headers[] = [];
  const base: typeof fetch = async (_input, init) => {
    seen.push(new Headers(init?.headers));
    return new Response("{}");
  };

  it("carry the request id and a traceparent naming this service's span", async () => {
    await correlatedFetch(base, scope)("https://idp.example/token", { headers: { Accept: "application/json" } });
    const headers = seen.at(-1) as Headers;
    expect(headers.get("x-request-id")).toBe("req-out");
    expect(headers.get("traceparent")).toBe(`00-${TRACE}-a1b2c3d4e5f60718-01`);
    expect(headers.get("accept")).toBe("application/json");
  });

  it("keep a traceparent a tracer already set, and an X-Request-Id the caller set", async () => {
    await correlatedFetch(base, scope)("https://idp.example/x", {
      headers: { traceparent: "00-x-y-01", "X-Request-Id": "own" },
    });
    expect(seen.at(-1)?.get("traceparent")).toBe("00-x-y-01");
    expect(seen.at(-1)?.get("x-request-id")).toBe("own");
  });
});
