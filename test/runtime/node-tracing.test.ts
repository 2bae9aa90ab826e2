/**
 * The built Node entry with OTEL_EXPORTER_OTLP_ENDPOINT: it traces requests
 * and, on SIGTERM, exports the spans still waiting in its batch before it
 * exits (the batch would otherwise leave only after 5 s).
 */
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type OtlpReceiver, startOtlpReceiver } from "../support/otlp-receiver.js";
import { createTestDatabase, type TestDatabase } from "../support/postgres.js";
import { deletePrefix, testPrefix } from "../support/redis.js";
import {
  ADMIN_KEY,
  adminHeaders,
  cleanupNodes,
  ENTRY,
  PROCESS_TEST_MS,
  serverEnv,
  startNode,
  stop,
} from "../support/runtime-node.js";

afterAll(cleanupNodes, 30_000);

let database: TestDatabase;
let prefix: string;
let receiver: OtlpReceiver;

beforeAll(async () => {
  expect(existsSync(ENTRY), `${ENTRY} is missing: run npm run build`).toBe(true);
  [database, receiver] = await Promise.all([createTestDatabase(), startOtlpReceiver()]);
  prefix = testPrefix();
}, 60_000);

afterAll(async () => {
  if (prefix) await deletePrefix(prefix);
  await database?.drop();
  await receiver?.close();
}, 30_000);

describe("the Node build with an OTLP endpoint", () => {
  it(
    "exports a request's spans, flushed at graceful shutdown",
    async () => {
      const server = await startNode(
        serverEnv(database.url, prefix, {
          OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
          OTEL_SERVICE_NAME: "authority-node-build",
        }),
      );
      const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
      const callerSpan = "00f067aa0ba902b7";
      const response = await fetch(`${server.base}/v1/admin/tenants`, {
        method: "POST",
        headers: { ...adminHeaders(ADMIN_KEY), traceparent: `00-${traceId}-${callerSpan}-01` },
        body: JSON.stringify({ slug: "node-traced", name: "Node traced" }),
      });
      expect(response.status).toBe(201);
      const listening = server
        .output()
        .split("\n")
        .filter((line) => line.startsWith("{"))
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .find((entry) => entry.event === "listening");
      expect(listening?.tracing).toBe("otlp");

      const exit = await stop(server, "SIGTERM", 5_000);
      expect(exit.code).toBe(0);
      // Exported by the shutdown itself: nothing is waited for after the exit.
      const spans = receiver.spans().filter((s) => s.traceId === traceId);
      const request = spans.find((s) => s.name === "POST /v1/admin/tenants");
      expect(request?.parentSpanId).toBe(callerSpan);
      expect(request?.resource["service.name"]).toBe("authority-node-build");
      expect(spans.some((s) => s.name.startsWith("db tenants."))).toBe(true);
      expect(response.headers.get("traceresponse")).toBe(`00-${traceId}-${request?.spanId}-01`);
    },
    PROCESS_TEST_MS,
  );
});
