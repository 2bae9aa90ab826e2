/**
 * OpenTelemetry tracing of the built Worker inside workerd: otel-cf-workers
 * exports over OTLP/HTTP JSON to the OTLP receiver of test support, Postgres
 * through the Neon HTTP bridge and Redis through the Upstash REST bridge.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client, GOOD_PASSWORD, JSON_HEADERS, type TokenBody } from "../support/accounts.js";
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from "../support/otlp-receiver.js";
import { startWorkerHarness, type WorkerHarness, type WorkerInstance } from "../support/runtime-worker.js";

const INTERNAL = 1;
const SERVER = 2;

const hex = (bytes: number) => Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString("hex");

let h: WorkerHarness;
let receiver: OtlpReceiver;
let traced: WorkerInstance;
let untraced: WorkerInstance;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  h = await startWorkerHarness();
  [traced, untraced] = await Promise.all([
    h.start({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: "authority-edge" }),
    h.start(),
  ]);
  await client((path, init) => traced.request(path, init), h.adminKey).createTenant("edge");
}, 60_000);

afterAll(async () => {
  await h?.close();
  await receiver?.close();
}, 60_000);

const named = (spans: ReceivedSpan[], name: string) => {
  const span = spans.find((s) => s.name === name);
  if (!span) throw new Error(`no span ${name} among ${spans.map((s) => s.name).join(", ")}`);
  return span;
};

async function signupAndLogin(worker: WorkerInstance, email: string, headers: Record<string, string>) {
  const api = client((path, init) => worker.request(path, init), h.adminKey);
  expect((await api.signup("edge", email)).status).toBe(201);
  return worker.request("/t/edge/v1/login?next=secret-query-value", {
    method: "POST",
    headers: { ...JSON_HEADERS, ...headers },
    body: JSON.stringify({ email, password: GOOD_PASSWORD }),
  });
}

describe("tracing in workerd (otel-cf-workers)", () => {
  it("exports the login under the fetch span, with Postgres, Redis and argon2 spans as children of the request span", async () => {
    const callerTrace = hex(16);
    const callerSpan = hex(8);
    const email = "edge.user@example.org";
    const response = await signupAndLogin(traced, email, {
      traceparent: `00-${callerTrace}-${callerSpan}-01`,
      "X-Request-Id": "edge-login-1",
    });
    expect(response.status, await response.clone().text()).toBe(200);
    const tokens = (await response.json()) as TokenBody;

    const all = await receiver.waitForSpans((spans) =>
      spans.some((s) => s.traceId === callerTrace && s.name === "POST /t/:tenant/v1/login" && s.kind === SERVER),
    );
    const spans = all.filter((s) => s.traceId === callerTrace);
    // otel-cf-workers' own SERVER span continues the caller's trace and is named by our route.
    const fetchSpan = spans.find((s) => s.kind === SERVER) as ReceivedSpan;
    expect(fetchSpan.name).toBe("POST /t/:tenant/v1/login");
    expect(fetchSpan.parentSpanId).toBe(callerSpan);
    expect(fetchSpan.resource["service.name"]).toBe("authority-edge");
    // Ours nests under it, after the layers before tracing (the rate limiter's Redis script).
    const underFetch = spans.filter((s) => s.parentSpanId === fetchSpan.spanId);
    const request = named(underFetch, "POST /t/:tenant/v1/login");
    expect(request.kind).toBe(INTERNAL);
    expect(underFetch.map((s) => s.name)).toContain("redis EVALSHA rate_limit_gcra");
    expect(request.attributes).toMatchObject({
      "http.route": "/t/:tenant/v1/login",
      "authority.tenant": "edge",
      "http.response.status_code": 200,
    });
    const children = spans.filter((s) => s.parentSpanId === request.spanId);
    const db = children.filter((s) => s.attributes["db.system.name"] === "postgresql");
    const redis = children.filter((s) => s.attributes["db.system.name"] === "redis");
    expect(db.map((s) => s.name)).toContain("db users.findByEmailIndex");
    expect(redis.length).toBeGreaterThan(0);
    expect(named(children, "password.verify")).toBeDefined();
    expect(named(children, "jwt.sign")).toBeDefined();
    for (const span of [...db, ...redis]) expect(span.attributes["authority.tenant"]).toBe("edge");

    // The response and the request's log line name the exported trace and span.
    expect(response.headers.get("traceresponse")).toMatch(new RegExp(`^00-${callerTrace}-${request.spanId}-0[13]$`));
    const lines = traced.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
    const line = lines.find((l) => l.event === "request" && l.request_id === "edge-login-1");
    expect(line?.trace_id).toBe(callerTrace);

    // No secret, and no query string, leaves in a span.
    const everything = JSON.stringify(receiver.requests.traces);
    for (const secret of [GOOD_PASSWORD, email, tokens.access_token, tokens.refresh_token, "secret-query-value"]) {
      expect(everything).not.toContain(secret);
    }
  });

  it("without OTEL_EXPORTER_OTLP_ENDPOINT exports nothing and serves as before", async () => {
    const callerTrace = hex(16);
    const response = await signupAndLogin(untraced, "edge.quiet@example.org", {
      traceparent: `00-${callerTrace}-${hex(8)}-01`,
    });
    expect(response.status).toBe(200);
    // Correlation alone: the caller's trace id, a span id of its own.
    expect(response.headers.get("traceresponse")).toMatch(new RegExp(`^00-${callerTrace}-[0-9a-f]{16}-01$`));
    await new Promise((r) => setTimeout(r, 500));
    expect(receiver.spans().filter((s) => s.traceId === callerTrace)).toEqual([]);
  });
});
