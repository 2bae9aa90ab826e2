/**
 * Metrics of the built Worker inside workerd: no `/metrics` there (404, the
 * normal not-found problem); with OTEL_EXPORTER_OTLP_ENDPOINT the isolate
 * aggregates and pushes OTLP JSON metrics to the receiver from the request
 * path (waitUntil), at most once per OTEL_METRICS_EXPORT_INTERVAL, including
 * the domain counters (a refresh); a failing endpoint is logged and changes
 * no answer.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client, type TokenBody } from "../support/accounts.js";
import {
  type OtlpReceiver,
  type ReceivedMetricPoint,
  startOtlpReceiver,
  waitForMetricPoints,
} from "../support/otlp-receiver.js";
import { expectProblem, readAnswer } from "../support/problem.js";
import { startWorkerHarness, type WorkerHarness, type WorkerInstance } from "../support/runtime-worker.js";

const INTERVAL_MS = 1_000;
const pastInterval = () => new Promise((r) => setTimeout(r, INTERVAL_MS + 200));

let receiver: OtlpReceiver;
let h: WorkerHarness;
let exporting: WorkerInstance;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  h = await startWorkerHarness();
  exporting = await h.start({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_METRICS_EXPORT_INTERVAL: "1s" });
}, 60_000);

afterAll(async () => {
  await h?.close();
  await receiver?.close();
}, 60_000);

/** The newest value of a cumulative series (exports arrive in order). */
function latest(points: ReceivedMetricPoint[], name: string, attributes: Record<string, string>) {
  return points
    .filter((p) => p.name === name && Object.entries(attributes).every(([k, v]) => p.attributes[k] === v))
    .at(-1);
}

describe("metrics on Workers", () => {
  it("has no /metrics: the normal not-found problem", async () => {
    const answer = await readAnswer(await exporting.request("/metrics"));
    expectProblem(answer, 404, "not_found");
    const unknown = await readAnswer(await exporting.request("/no/such/route"));
    expect(answer.json).toEqual(unknown.json);
  });

  it("exports OTLP metrics of the requests it served, once the interval has passed", async () => {
    const before = receiver.requests.metrics.length;
    expect((await exporting.request("/healthz")).status).toBe(200);
    await pastInterval();
    // This request finds the interval passed and exports, after its own response, through waitUntil.
    expect((await exporting.request("/healthz")).status).toBe(200);
    const healthz = { method: "GET", route: "/healthz", status: "200" };
    const points = await waitForMetricPoints(receiver, (all) =>
      Boolean(latest(all, "authority_http_requests_total", healthz)),
    );
    expect(receiver.requests.metrics.length).toBe(before + 1);

    const requests = latest(points, "authority_http_requests_total", healthz);
    expect(requests).toMatchObject({ kind: "sum", isMonotonic: true, temporality: 2, value: 2 });
    expect(requests?.resource).toMatchObject({ "service.name": "authority" });
    expect(requests?.resource["service.instance.id"]).toEqual(expect.any(String));
    // workerd's clock gives real timestamps (not 1970, not frozen at the isolate's start).
    const at = Number(BigInt(requests?.timeUnixNano ?? "0") / 1_000_000n);
    expect(Math.abs(at - Date.now())).toBeLessThan(60_000);
    expect(latest(points, "authority_http_requests_total", { route: "/metrics", status: "404" })?.value).toBe(1);
    expect(latest(points, "authority_http_request_duration_seconds", { route: "/healthz" })).toMatchObject({
      kind: "histogram",
      unit: "s",
      count: 2,
    });

    // A request right after the export does not export again.
    expect((await exporting.request("/healthz")).status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    expect(receiver.requests.metrics.length).toBe(before + 1);
  });

  it("exports the domain counters: a refresh it rotated", async () => {
    const api = client((path, init) => exporting.request(path, init), h.adminKey);
    await api.createTenant("edge-metrics");
    const signup = await api.signup("edge-metrics", "metrics@example.org");
    expect(signup.status, await signup.clone().text()).toBe(201);
    const tokens = (await signup.json()) as TokenBody;
    await pastInterval();
    expect((await api.refresh("edge-metrics", tokens.refresh_token)).status).toBe(200);
    const points = await waitForMetricPoints(
      receiver,
      (all) => (latest(all, "authority_refreshes_total", { outcome: "rotated" })?.value ?? 0) >= 1,
    );
    expect(latest(points, "authority_refreshes_total", { outcome: "rotated" })?.value).toBe(1);
    expect(latest(points, "authority_refreshes_total", { outcome: "reuse" })?.value).toBe(0);
    expect(
      latest(points, "authority_http_requests_total", { route: "/t/:tenant/v1/token/refresh", status: "200" })?.value,
    ).toBe(1);
  });

  it("logs a failing export and answers as usual", async () => {
    const failing = await h.start({
      OTEL_EXPORTER_OTLP_ENDPOINT: `${receiver.url}/nowhere`,
      OTEL_METRICS_EXPORT_INTERVAL: "1s",
    });
    expect((await failing.request("/healthz")).status).toBe(200);
    await pastInterval();
    expect((await failing.request("/healthz")).status).toBe(200);
    const until = Date.now() + 5_000;
    while (!failing.logs.some((line) => line.includes("metrics_export_failed")) && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(failing.logs.find((line) => line.includes("metrics_export_failed"))).toContain("answered 404");
  });
});
