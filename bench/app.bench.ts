import { afterAll, beforeAll, bench, describe } from "vitest";
import { startTestApp, TEST_ADMIN_KEY, type TestApp } from "../test/support/app.js";

// In-process request handling of the full app on real Postgres and Redis
// (`npm run bench`): the per-request cost of the middleware stack, tenant
// resolution (cached) and a readiness round trip to both servers.
let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
  await t.app.request("/v1/admin/tenants", {
    method: "POST",
    headers: { Authorization: `Bearer ${TEST_ADMIN_KEY}`, "Content-Type": "application/json" },
    body: JSON.stringify({ slug: "bench", name: "Bench" }),
  });
});
afterAll(async () => {
  await t.close();
});

describe("app", () => {
  bench("GET /healthz", async () => {
    await t.app.request("/healthz");
  });
  bench("GET /t/bench/unknown (tenant resolved from cache, 404 problem)", async () => {
    await t.app.request("/t/bench/unknown");
  });
  bench("GET /readyz (Postgres + Redis round trips)", async () => {
    await t.app.request("/readyz");
  });
});
