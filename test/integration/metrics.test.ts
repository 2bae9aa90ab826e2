/**
 * `GET /metrics` on the whole app (real Postgres and Redis, prom-client's own
 * registry per app): the body parses strictly as the Prometheus text format,
 * and its values move with the requests made and the domain events they
 * cause (refresh outcomes, reuse, revocations, key rotations). Also the
 * METRICS_TOKEN guard, the not-found answer without a metrics source (as on
 * Workers), and the OpenAPI entry.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/adapters/telemetry/console-logger.js";
import { HISTOGRAMS } from "../../src/adapters/telemetry/metric-catalogue.js";
import { PrometheusMetrics } from "../../src/adapters/telemetry/prometheus.js";
import { rotateDueKeys } from "../../src/core/jobs.js";
import { appClient, type TokenBody } from "../support/accounts.js";
import { startTestApp, TEST_PUBLIC_URL, type TestApp, testConfig } from "../support/app.js";
import { expectProblem, readAnswer } from "../support/problem.js";
import { type Exposition, parseExposition } from "../support/prometheus-text.js";

const TEXT_FORMAT = "text/plain; version=0.0.4; charset=utf-8";
const REQUESTS = "authority_http_requests_total";
const DURATION = "authority_http_request_duration_seconds";
const REFRESHES = "authority_refreshes_total";
const REVOKED = "authority_sessions_revoked_total";
const ROTATIONS = "authority_signing_key_rotations_total";

let t: TestApp;
let api: ReturnType<typeof appClient>;
let users = 0;

beforeAll(async () => {
  const metrics = new PrometheusMetrics();
  t = await startTestApp({ metrics, metricsExposition: metrics });
  api = appClient(t);
  await api.createTenant("acme");
});

afterAll(async () => {
  await t?.close();
});

async function scrape(app: TestApp = t, headers: Record<string, string> = {}): Promise<Exposition> {
  const response = await app.app.request("/metrics", { headers });
  const text = await response.text();
  expect(response.status, text).toBe(200);
  expect(response.headers.get("content-type")).toBe(TEXT_FORMAT);
  expect(response.headers.get("cache-control")).toBe("no-store");
  return parseExposition(text);
}

/** How much each sample moved between two scrapes. */
function delta(before: Exposition, after: Exposition) {
  return (name: string, labels: Record<string, string> = {}) => after.value(name, labels) - before.value(name, labels);
}

async function signup(): Promise<TokenBody & { user: { id: string } }> {
  const response = await api.signup("acme", `metrics${++users}@example.org`);
  expect(response.status, await response.clone().text()).toBe(201);
  return response.json();
}

describe("the exposition", () => {
  it("is the Prometheus text format, every family typed and described, process metrics included", async () => {
    await t.app.request("/healthz");
    const parsed = await scrape();
    const types = Object.fromEntries([...parsed.families].map(([name, family]) => [name, family.type]));
    expect(types).toMatchObject({
      [REQUESTS]: "counter",
      [DURATION]: "histogram",
      authority_db_query_duration_seconds: "histogram",
      authority_redis_command_duration_seconds: "histogram",
      authority_logins_total: "counter",
      [REFRESHES]: "counter",
      authority_refresh_reuse_detected_total: "counter",
      authority_rate_limit_rejections_total: "counter",
      [ROTATIONS]: "counter",
      [REVOKED]: "counter",
      authority_process_cpu_seconds_total: "counter",
      authority_process_resident_memory_bytes: "gauge",
      authority_nodejs_eventloop_lag_seconds: "gauge",
    });
    for (const family of parsed.families.values()) {
      expect(family.name).toMatch(/^authority_/);
      expect(family.help, family.name).toBeTruthy();
    }
    // The request buckets, from 1 ms to 10 s.
    const les = parsed.families
      .get(DURATION)
      ?.samples.filter((s) => s.name === `${DURATION}_bucket` && s.labels.route === "/healthz")
      .map((s) => s.labels.le);
    expect(les).toEqual([...HISTOGRAMS.http_request_duration_seconds.buckets.map(String), "+Inf"]);
    // Outcomes exist at 0 before the first event, so rates over them are defined from the start.
    expect(parsed.find(REFRESHES, { outcome: "reuse" })?.value).toBe(0);
    expect(parsed.find("authority_refresh_reuse_detected_total")?.value).toBe(0);
  });

  it("counts requests per route pattern and status, with their durations, never a tenant slug", async () => {
    const before = await scrape();
    for (let i = 0; i < 3; i++) expect((await t.app.request("/healthz")).status).toBe(200);
    expect((await t.app.request("/t/acme/.well-known/jwks.json")).status).toBe(200);
    expect((await t.app.request("/no/such/route")).status).toBe(404);
    expect((await t.app.request("/t/acme/v1/me")).status).toBe(401);
    const after = await scrape();
    const moved = delta(before, after);

    expect(moved(REQUESTS, { method: "GET", route: "/healthz", status: "200" })).toBe(3);
    expect(moved(`${DURATION}_count`, { method: "GET", route: "/healthz" })).toBe(3);
    expect(moved(`${DURATION}_sum`, { method: "GET", route: "/healthz" })).toBeGreaterThan(0);
    expect(moved(`${DURATION}_bucket`, { method: "GET", route: "/healthz", le: "+Inf" })).toBe(3);
    expect(moved(REQUESTS, { method: "GET", route: "/t/:tenant/.well-known/jwks.json", status: "200" })).toBe(1);
    expect(moved(REQUESTS, { method: "GET", route: "unmatched", status: "404" })).toBe(1);
    expect(moved(REQUESTS, { method: "GET", route: "/t/:tenant/v1/me", status: "401" })).toBe(1);
    // The scrape before is itself a request, counted by the time of the next one.
    expect(moved(REQUESTS, { method: "GET", route: "/metrics", status: "200" })).toBe(1);

    const labels = [...after.families.values()].flatMap((f) => f.samples.flatMap((s) => Object.values(s.labels)));
    expect(labels.some((value) => value.includes("acme"))).toBe(false);
  });

  it("counts refresh outcomes, the reuse detection and the revocation it causes", async () => {
    const first = await signup();
    const before = await scrape();
    const second = (await (await api.refresh("acme", first.refresh_token)).json()) as TokenBody;
    // The same token again inside the grace window: the same successor.
    expect((await api.refresh("acme", first.refresh_token)).status).toBe(200);
    const third = (await (await api.refresh("acme", second.refresh_token)).json()) as TokenBody;
    // An older spent token: reuse, which revokes the session...
    expect((await api.refresh("acme", first.refresh_token)).status).toBe(401);
    // ...so its newest token is refused too, as is garbage.
    expect((await api.refresh("acme", third.refresh_token)).status).toBe(401);
    expect((await api.refresh("acme", "rt1.not-a-token")).status).toBe(401);
    const moved = delta(before, await scrape());

    expect(moved(REFRESHES, { outcome: "rotated" })).toBe(2);
    expect(moved(REFRESHES, { outcome: "grace" })).toBe(1);
    expect(moved(REFRESHES, { outcome: "reuse" })).toBe(1);
    expect(moved(REFRESHES, { outcome: "invalid" })).toBe(2);
    expect(moved("authority_refresh_reuse_detected_total")).toBe(1);
    expect(moved(REVOKED, { reason: "refresh_token_reuse" })).toBe(1);
    expect(moved(REQUESTS, { method: "POST", route: "/t/:tenant/v1/token/refresh", status: "401" })).toBe(3);
  });

  it("observes Postgres query and Redis command latency (through the port decorators)", async () => {
    const count = (parsed: Exposition, family: string) =>
      (parsed.families.get(family)?.samples ?? [])
        .filter((sample) => sample.name === `${family}_count`)
        .reduce((sum, sample) => sum + sample.value, 0);
    const before = await scrape();
    await signup();
    const after = await scrape();
    for (const family of ["authority_db_query_duration_seconds", "authority_redis_command_duration_seconds"]) {
      expect(count(after, family), family).toBeGreaterThan(count(before, family));
      // One bounded label each (and `le` on the buckets): no query text, no keys.
      const names = new Set(after.families.get(family)?.samples.flatMap((sample) => Object.keys(sample.labels)));
      expect(names, family).toEqual(new Set(["le", family.includes("db") ? "operation" : "command"]));
    }
  });

  it("counts revoked sessions by reason", async () => {
    const loggingOut = await signup();
    const owner = await signup();
    const other = (await (await api.login("acme", `metrics${users}@example.org`)).json()) as TokenBody;
    const victim = await signup();
    await api.login("acme", `metrics${users}@example.org`);
    const before = await scrape();
    expect((await api.logout("acme", loggingOut.access_token)).status).toBe(204);
    expect((await api.deleteSession("acme", owner.access_token, other.session_id)).status).toBe(204);
    expect((await api.revokeSessions("acme", victim.user.id)).status).toBe(204);
    const moved = delta(before, await scrape());

    expect(moved(REVOKED, { reason: "logout" })).toBe(1);
    expect(moved(REVOKED, { reason: "deleted_by_user" })).toBe(1);
    expect(moved(REVOKED, { reason: "admin" })).toBe(2); // both of the victim's sessions
  });

  it("counts signing-key rotations by trigger", async () => {
    await api.createTenant("rotating");
    await api.jwks("rotating"); // creates the ring
    const before = await scrape();
    expect((await api.rotate("rotating")).status).toBe(200);
    const sql = new pg.Client({ connectionString: t.database.url });
    await sql.connect();
    try {
      await sql.query(
        "update signing_keys set activated_at = now() - interval '31 days', created_at = now() - interval '31 days' where tenant_id = (select id from tenants where slug = 'rotating')",
      );
    } finally {
      await sql.end();
    }
    expect(await rotateDueKeys(t.deps.db, t.services.keyRing, silentLogger)).toBe(1);
    const moved = delta(before, await scrape());

    expect(moved(ROTATIONS, { trigger: "admin" })).toBe(1);
    expect(moved(ROTATIONS, { trigger: "scheduled" })).toBe(1);
  });
});

describe("METRICS_TOKEN", () => {
  const TOKEN = "scrape-token-0123456789abcdef";
  let guarded: TestApp;

  beforeAll(async () => {
    const metrics = new PrometheusMetrics({ processMetrics: false });
    guarded = await startTestApp({ metrics, metricsExposition: metrics }, { METRICS_TOKEN: TOKEN });
  });

  afterAll(async () => {
    await guarded?.close();
  });

  it("requires the token as a Bearer credential", async () => {
    const none = await readAnswer(await guarded.app.request("/metrics"));
    expectProblem(none, 401, "unauthorized");
    expect(none.headers.get("www-authenticate")).toBe(`Bearer realm="${TEST_PUBLIC_URL}"`);
    const wrong = await readAnswer(
      await guarded.app.request("/metrics", { headers: { Authorization: `Bearer ${TOKEN}x` } }),
    );
    expectProblem(wrong, 401, "invalid_token");
    expect(wrong.headers.get("www-authenticate")).toBe(`Bearer realm="${TEST_PUBLIC_URL}", error="invalid_token"`);
    const parsed = await scrape(guarded, { Authorization: `Bearer ${TOKEN}` });
    expect(parsed.value(REQUESTS, { route: "/metrics", status: "401" })).toBe(2);
    expect(parsed.families.has("authority_process_cpu_seconds_total")).toBe(false);
  });

  it("must be at least 16 characters", () => {
    expect(() => testConfig({ METRICS_TOKEN: "short" })).toThrow(/METRICS_TOKEN: must be at least 16 characters/);
  });
});

describe("without a metrics source (as on Workers)", () => {
  let plain: TestApp;

  beforeAll(async () => {
    plain = await startTestApp();
  });

  afterAll(async () => {
    await plain?.close();
  });

  it("answers /metrics with the normal not-found problem", async () => {
    const metrics = await readAnswer(await plain.app.request("/metrics"));
    expectProblem(metrics, 404, "not_found");
    const unknown = await readAnswer(await plain.app.request("/no/such/route"));
    expect(metrics.json).toEqual(unknown.json);
  });

  it("still describes /metrics in the OpenAPI document, outside the tenant routes", async () => {
    const doc = (await (await plain.app.request("/openapi.json")).json()) as {
      paths: Record<string, Record<string, { tags?: string[]; responses: Record<string, { content?: object }> }>>;
    };
    const operation = doc.paths["/metrics"]?.get;
    expect(operation?.tags).toEqual(["Operations"]);
    expect(Object.keys(operation?.responses["200"]?.content ?? {})).toEqual(["text/plain"]);
    expect(Object.keys(operation?.responses ?? {}).sort()).toEqual(["200", "401", "404"]);
    expect(Object.keys(doc.paths).filter((path) => path.startsWith("/t/") && path.endsWith("/metrics"))).toEqual([]);
  });
});
