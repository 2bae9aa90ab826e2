/**
 * OpenTelemetry tracing on Node: the real SDK (BatchSpanProcessor, OTLP/HTTP
 * JSON exporter) sending to the OTLP receiver of test support, around the
 * whole app on real Postgres and Redis. Nothing of OTel is mocked.
 */
import { Hono, type MiddlewareHandler } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type NodeTracing, startNodeTracing } from "../../src/adapters/telemetry/otel-node.js";
import { cryptoRandom } from "../../src/core/ports/clock.js";
import type { AppEnv } from "../../src/http/context.js";
import { correlate, correlationHeaders } from "../../src/http/middleware/request-id.js";
import { tracing } from "../../src/http/middleware/tracing.js";
import { correlatedFetch } from "../../src/http/request-scope.js";
import { tracedFetch } from "../../src/http/traced-fetch.js";
import { appClient, GOOD_PASSWORD, JSON_HEADERS, type TokenBody } from "../support/accounts.js";
import { startTestApp, TEST_ADMIN_KEY, type TestApp, testConfig } from "../support/app.js";
import { startFakeOidc } from "../support/fake-oidc.js";
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from "../support/otlp-receiver.js";
import { recordingLogger, recordingMetrics } from "../support/recorders.js";

const SERVER = 2;
const CLIENT = 3;
const STATUS_ERROR = 2;

const hex = (bytes: number) => Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString("hex");

let receiver: OtlpReceiver;
let nodeTracing: NodeTracing;
let t: TestApp;
const logs = recordingLogger();
const recorded = recordingMetrics();
/** What the app sent to identity providers: the URL and headers of each call. */
const upstreamCalls: { url: string; headers: Headers }[] = [];
const recordingFetch: typeof fetch = (input, init) => {
  const url = input instanceof Request ? input.url : String(input);
  upstreamCalls.push({
    url,
    headers: new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined)),
  });
  return fetch(input, init);
};

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  const otel = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: "authority-under-test" };
  nodeTracing = startNodeTracing(testConfig(otel)) as NodeTracing;
  t = await startTestApp(
    { tracer: nodeTracing.tracer, logger: logs.logger, metrics: recorded.metrics, upstreamFetch: recordingFetch },
    otel,
  );
  await appClient(t).createTenant("traced");
});

afterAll(async () => {
  await t?.close();
  await nodeTracing?.shutdown();
  await receiver?.close();
});

/** Every span of one trace, once the request span (name) has arrived. */
async function traceOf(traceId: string, requestSpan: string): Promise<ReceivedSpan[]> {
  await nodeTracing.flush();
  const spans = await receiver.waitForSpans((all) => all.some((s) => s.traceId === traceId && s.name === requestSpan));
  return spans.filter((s) => s.traceId === traceId);
}

/** The app's correlation, alone: the request's scope and its X-Request-Id and traceresponse. */
const correlation: MiddlewareHandler<AppEnv> = async (c, next) => {
  const scope = correlate(c, cryptoRandom);
  await next();
  for (const [name, value] of Object.entries(correlationHeaders(scope))) c.res.headers.set(name, value);
};

const named = (spans: ReceivedSpan[], name: string) => {
  const span = spans.find((s) => s.name === name);
  if (!span) throw new Error(`no span ${name} among ${spans.map((s) => s.name).join(", ")}`);
  return span;
};

let users = 0;
async function signup(): Promise<{ email: string; body: TokenBody }> {
  const email = `Traced.User${++users}@Example.org`;
  const response = await appClient(t).signup("traced", email);
  expect(response.status, await response.clone().text()).toBe(201);
  return { email, body: (await response.json()) as TokenBody };
}

const login = (email: string, headers: Record<string, string> = {}) =>
  t.app.request("/t/traced/v1/login", {
    method: "POST",
    headers: { ...JSON_HEADERS, ...headers },
    body: JSON.stringify({ email, password: GOOD_PASSWORD }),
  });

describe("tracing on Node (OTel SDK, OTLP/HTTP)", () => {
  it("continues the caller's trace: a SERVER span for the login with Postgres, Redis, argon2 and signing children", async () => {
    const { email } = await signup();
    const callerTrace = hex(16);
    const callerSpan = hex(8);
    const response = await login(email, {
      traceparent: `00-${callerTrace}-${callerSpan}-01`,
      "X-Request-Id": "traced-login-1",
    });
    expect(response.status, await response.clone().text()).toBe(200);

    const spans = await traceOf(callerTrace, "POST /t/:tenant/v1/login");
    const request = named(spans, "POST /t/:tenant/v1/login");
    expect(request.kind).toBe(SERVER);
    expect(request.parentSpanId).toBe(callerSpan);
    expect(request.attributes).toMatchObject({
      "http.request.method": "POST",
      "http.route": "/t/:tenant/v1/login",
      "http.response.status_code": 200,
      "authority.tenant": "traced",
    });
    expect(request.resource["service.name"]).toBe("authority-under-test");

    // Everything the login did is a child of the request span, with the tenant and route.
    const children = spans.filter((s) => s.parentSpanId === request.spanId);
    const db = children.filter((s) => s.name.startsWith("db "));
    const redis = children.filter((s) => s.name.startsWith("redis "));
    expect(db.length).toBeGreaterThan(0);
    expect(redis.length).toBeGreaterThan(0);
    expect(db.map((s) => s.name)).toContain("db users.findByEmailIndex");
    for (const span of db) expect(span.attributes["db.system.name"]).toBe("postgresql");
    for (const span of redis) expect(span.attributes["db.system.name"]).toBe("redis");
    for (const span of [...db, ...redis]) {
      expect(span.attributes).toMatchObject({ "authority.tenant": "traced", "http.route": "/t/:tenant/v1/login" });
    }
    expect(named(children, "password.verify").attributes["authority.password.algorithm"]).toBe("argon2id");
    expect(named(children, "jwt.sign").attributes["authority.jwt.alg"]).toBe("RS256");

    // The response and the log lines name the exported trace and span.
    expect(response.headers.get("traceresponse")).toBe(`00-${callerTrace}-${request.spanId}-01`);
    const lines = logs.lines.filter((l) => l.fields.request_id === "traced-login-1");
    expect(lines.map((l) => l.event)).toContain("request");
    for (const line of lines) expect(line.fields.trace_id).toBe(callerTrace);

    // The same decorators time the calls for the latency histograms.
    expect(recorded.observed).toContainEqual({
      name: "db_query_duration_seconds",
      labels: { operation: "users.findByEmailIndex" },
    });
    expect(recorded.observed).toContainEqual({ name: "redis_command_duration_seconds", labels: { command: "SET" } });
  });

  it("starts a new root trace without a traceparent, and the response and logs name it", async () => {
    const { email } = await signup();
    const response = await login(email, { "X-Request-Id": "traced-login-2" });
    expect(response.status).toBe(200);
    const [, traceId, spanId] = (response.headers.get("traceresponse") ?? "").split("-");
    const spans = await traceOf(traceId as string, "POST /t/:tenant/v1/login");
    const request = named(spans, "POST /t/:tenant/v1/login");
    expect(request.parentSpanId).toBeUndefined();
    expect(request.spanId).toBe(spanId);
    const line = logs.lines.find((l) => l.fields.request_id === "traced-login-2" && l.event === "request");
    expect(line?.fields.trace_id).toBe(traceId);
  });

  it("never puts a password, email, access token or refresh token in a span", async () => {
    const { email, body: signedUp } = await signup();
    const loggedIn = (await (await login(email)).json()) as TokenBody;
    const refreshed = (await (await appClient(t).refresh("traced", loggedIn.refresh_token)).json()) as TokenBody;
    const me = await appClient(t).me("traced", refreshed.access_token);
    expect(me.status).toBe(200);
    const [, meTrace] = (me.headers.get("traceresponse") ?? "").split("-");
    await traceOf(meTrace as string, "GET /t/:tenant/v1/me");

    const everything = JSON.stringify(receiver.requests.traces);
    const secrets = [GOOD_PASSWORD, email, email.toLowerCase(), email.split("@")[0] as string];
    for (const body of [signedUp, loggedIn, refreshed]) {
      secrets.push(body.access_token, body.refresh_token, body.access_token.split(".")[2] as string);
    }
    for (const secret of secrets) expect(everything).not.toContain(secret);
    // The refresh ran its rotation script: named, without keys or arguments.
    expect(receiver.spans().some((s) => s.name.startsWith("redis EVALSHA "))).toBe(true);
  });

  it("marks a 5xx request span as failed by the error's type only, never its message", async () => {
    const app = new Hono<AppEnv>();
    app.onError((_error, c) => c.text("failed", 500));
    app.use("*", correlation);
    app.use("*", tracing(nodeTracing.tracer));
    app.get("/boom", () => {
      throw new RangeError("user input alice@example.org");
    });
    const response = await app.request("/boom");
    expect(response.status).toBe(500);
    const [, traceId] = (response.headers.get("traceresponse") ?? "").split("-");
    const span = named(await traceOf(traceId as string, "GET /boom"), "GET /boom");
    expect(span.status?.code).toBe(STATUS_ERROR);
    expect(span.attributes["error.type"]).toBe("RangeError");
    expect(JSON.stringify(span)).not.toContain("alice@example.org");
  });

  it("traces a federated callback: CLIENT spans to the provider carry the trace on, and no code or state is recorded", async () => {
    const idp = await startFakeOidc("traced-client", "traced-secret");
    try {
      const admin = { Authorization: `Bearer ${TEST_ADMIN_KEY}`, ...JSON_HEADERS };
      expect((await appClient(t).redirectUris("traced", ["https://app.example/cb"])).status).toBe(200);
      const put = await t.app.request("/t/traced/v1/admin/oauth-providers/idp", {
        method: "PUT",
        headers: admin,
        body: JSON.stringify({ client_id: "traced-client", client_secret: "traced-secret", issuer: idp.issuer }),
      });
      expect(put.status, await put.clone().text()).toBe(200);
      idp.state.nextUser = { sub: "fed-1", email: "fed.user@idp.example", email_verified: true };
      const query = new URLSearchParams({ redirect_uri: "https://app.example/cb", state: "client-state-value" });
      const start = await t.app.request(`/t/traced/v1/oauth/idp/authorize?${query}`);
      expect(start.status, await start.clone().text()).toBe(302);
      const atProvider = await fetch(start.headers.get("location") ?? "", { redirect: "manual" });
      const callback = new URL(atProvider.headers.get("location") ?? "");
      const providerCode = callback.searchParams.get("code") as string;
      const providerState = callback.searchParams.get("state") as string;

      upstreamCalls.length = 0;
      const back = await t.app.request(callback.pathname + callback.search, {
        headers: { "X-Request-Id": "fed-cb-1" },
      });
      expect(back.status).toBe(302);
      const [, traceId] = (back.headers.get("traceresponse") ?? "").split("-");
      const route = "GET /t/:tenant/v1/oauth/:provider/callback";
      const spans = await traceOf(traceId as string, route);
      const request = named(spans, route);
      const clients = spans.filter((s) => s.kind === CLIENT);
      expect(clients.length).toBeGreaterThan(0);
      expect(upstreamCalls.length).toBe(clients.length);
      for (const call of upstreamCalls) {
        expect(call.headers.get("x-request-id")).toBe("fed-cb-1");
        const [, callTrace, callParent] = (call.headers.get("traceparent") ?? "").split("-");
        expect(callTrace).toBe(traceId);
        const client = clients.find((s) => s.spanId === callParent);
        expect(client?.parentSpanId).toBe(request.spanId);
        expect(client?.attributes["url.full"]).toBe(call.url.split("?")[0]);
      }
      const everything = JSON.stringify(spans);
      for (const secret of [providerCode, providerState, "traced-secret", "fed.user@idp.example"]) {
        expect(everything).not.toContain(secret);
      }
    } finally {
      await idp.close();
    }
  });

  it("makes a call to an identity provider a CLIENT span whose traceparent goes out with X-Request-Id", async () => {
    const sent: Headers[] = [];
    const runtimeFetch: typeof fetch = async (_input, init) => {
      sent.push(new Headers(init?.headers));
      return new Response("{}", { status: 200 });
    };
    const app = new Hono<AppEnv>();
    app.use("*", correlation);
    app.use("*", tracing(t.services.tracer));
    app.get("/calls-out", async (c) => {
      // As the request's services build it (see service-graph.ts).
      const upstream = tracedFetch(correlatedFetch(runtimeFetch, c.var.scope), t.services.tracer);
      await upstream("https://idp.example/token?code=secret-code", { method: "POST" });
      return c.text(c.var.scope.traceId);
    });
    const response = await app.request("/calls-out", { headers: { "X-Request-Id": "calls-out-1" } });
    const traceId = await response.text();
    const spans = await traceOf(traceId, "GET /calls-out");
    const request = named(spans, "GET /calls-out");
    const client = named(spans, "POST");
    expect(client.kind).toBe(CLIENT);
    expect(client.parentSpanId).toBe(request.spanId);
    expect(client.attributes).toMatchObject({
      "server.address": "idp.example",
      "url.full": "https://idp.example/token",
      "http.response.status_code": 200,
    });
    expect(sent[0]?.get("traceparent")).toBe(`00-${traceId}-${client.spanId}-01`);
    expect(sent[0]?.get("x-request-id")).toBe("calls-out-1");
    expect(JSON.stringify(spans)).not.toContain("secret-code");
  });
});

describe("without OTEL_EXPORTER_OTLP_ENDPOINT", () => {
  it("still times Postgres and Redis when metrics are kept, without spans", async () => {
    const metricsOnly = recordingMetrics();
    const measured = await startTestApp({ metrics: metricsOnly.metrics });
    try {
      await appClient(measured).createTenant("measured");
      const commands = metricsOnly.observed.filter((o) => o.name === "redis_command_duration_seconds");
      const queries = metricsOnly.observed.filter((o) => o.name === "db_query_duration_seconds");
      expect(queries.map((o) => o.labels.operation)).toContain("tenants.createIfAbsent");
      expect(commands.map((o) => o.labels.command)).toContain("EVALSHA rate_limit_gcra");
      expect(measured.services.tracer.activeTraceId()).toBeUndefined();
    } finally {
      await measured.close();
    }
  });

  it("starts no tracing; the app serves as before and exports nothing", async () => {
    expect(startNodeTracing(testConfig())).toBeUndefined();
    const quiet = await startTestApp();
    try {
      const api = appClient(quiet);
      await api.createTenant("quiet");
      const email = "quiet@example.org";
      expect((await api.signup("quiet", email)).status).toBe(201);
      const response = await api.login("quiet", email);
      expect(response.status).toBe(200);
      // Correlation still answers with the trace context it made up.
      const [, traceId] = (response.headers.get("traceresponse") ?? "").split("-");
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);
      // Its ports are the adapters themselves, not proxies.
      expect(quiet.services.db).toBe(quiet.deps.db);
      expect(quiet.services.kv).toBe(quiet.deps.kv);
      await nodeTracing.flush();
      expect(receiver.spans().filter((s) => s.traceId === traceId)).toEqual([]);
    } finally {
      await quiet.close();
    }
  });
});
