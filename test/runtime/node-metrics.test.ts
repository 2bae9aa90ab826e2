/**
 * The built Node entry (dist/node/node.js) serves `GET /metrics` from its
 * prom-client registry, behind METRICS_TOKEN when that is set, and the text
 * parses strictly and counts what the process served.
 */
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/postgres.js";
import { expectProblem } from "../support/problem.js";
import { parseExposition } from "../support/prometheus-text.js";
import { deletePrefix, testPrefix } from "../support/redis.js";
import { call, cleanupNodes, ENTRY, type NodeProcess, serverEnv, startNode, stop } from "../support/runtime-node.js";

const METRICS_TOKEN = "node-scrape-token-0123456789";

let database: TestDatabase;
let prefix: string;
let server: NodeProcess;

beforeAll(async () => {
  expect(existsSync(ENTRY), `${ENTRY} is missing: run npm run build`).toBe(true);
  database = await createTestDatabase();
  prefix = testPrefix();
  server = await startNode(serverEnv(database.url, prefix, { METRICS_TOKEN }));
}, 60_000);

afterAll(async () => {
  if (server && !server.hasExited()) await stop(server).catch(() => {});
  await cleanupNodes();
  if (prefix) await deletePrefix(prefix);
  await database?.drop();
}, 30_000);

describe("GET /metrics on the Node build", () => {
  it("needs the metrics token", async () => {
    expectProblem(await call(server, "/metrics"), 401, "unauthorized");
    const wrong = await call(server, "/metrics", { headers: { Authorization: "Bearer not-the-token-at-all" } });
    expectProblem(wrong, 401, "invalid_token");
  });

  it("serves the process's metrics in the Prometheus text format", async () => {
    expect((await call(server, "/t/default/.well-known/jwks.json")).status).toBe(200);
    const answer = await call(server, "/metrics", { headers: { Authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(answer.status, answer.text).toBe(200);
    expect(answer.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    const parsed = parseExposition(answer.text);
    // The harness polled /healthz until the server answered.
    expect(parsed.value("authority_http_requests_total", { route: "/healthz", status: "200" })).toBeGreaterThan(0);
    expect(
      parsed.value("authority_http_requests_total", { route: "/t/:tenant/.well-known/jwks.json", status: "200" }),
    ).toBe(1);
    expect(parsed.value("authority_http_requests_total", { route: "/metrics", status: "401" })).toBe(2);
    expect(parsed.value("authority_http_request_duration_seconds_count", { route: "/healthz" })).toBeGreaterThan(0);
    expect(parsed.families.get("authority_process_cpu_seconds_total")?.type).toBe("counter");
    expect(parsed.value("authority_process_resident_memory_bytes")).toBeGreaterThan(0);
  });
});
