/**
 * The audit trail inside workerd (the built Worker on neon-http and Upstash
 * REST): an admin write is in the table when its response arrives, and a
 * sign-up's entry, written through waitUntil, lands too.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client, JSON_HEADERS, type TokenBody } from "../support/accounts.js";
import { startWorkerHarness, type WorkerHarness, type WorkerInstance } from "../support/runtime-worker.js";

let h: WorkerHarness;
let worker: WorkerInstance;
let db: pg.Client;

beforeAll(async () => {
  h = await startWorkerHarness();
  worker = await h.start();
  db = new pg.Client({ connectionString: h.database.url });
  await db.connect();
  await client((path, init) => worker.request(path, init), h.adminKey).createTenant("edge");
}, 60_000);

afterAll(async () => {
  await db?.end();
  await h?.close();
}, 60_000);

const actions = async (requestId: string) =>
  (await db.query("SELECT action, actor_type FROM audit_events WHERE request_id = $1", [requestId])).rows;

describe("audit trail inside workerd", () => {
  it("stores an admin write before answering, and records a sign-up (written through waitUntil)", async () => {
    const admin = { Authorization: `Bearer ${h.adminKey}`, ...JSON_HEADERS };
    const put = await worker.request("/t/edge/v1/admin/redirect-uris", {
      method: "PUT",
      headers: { ...admin, "X-Request-Id": "edge-audit-put" },
      body: JSON.stringify({ redirect_uris: ["https://app.example/cb"] }),
    });
    expect(put.status).toBe(200);
    expect(await actions("edge-audit-put")).toEqual([{ action: "admin.redirect_uris.set", actor_type: "bootstrap" }]);

    const signup = await worker.request("/t/edge/v1/signup", {
      method: "POST",
      headers: { ...JSON_HEADERS, "X-Request-Id": "edge-audit-signup" },
      body: JSON.stringify({ email: "edge@example.org", password: "correct horse battery staple" }),
    });
    const user = (await signup.json()) as TokenBody & { user: { id: string } };
    let rows: Record<string, unknown>[] = [];
    for (let i = 0; i < 50 && rows.length === 0; i++) {
      rows = await actions("edge-audit-signup");
      if (rows.length === 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(rows).toEqual([{ action: "user.signed_up", actor_type: "user" }]);
    const listed = await worker.request("/t/edge/v1/admin/audit-events?action=user.signed_up", { headers: admin });
    expect(((await listed.json()) as { events: { target: { id: string } }[] }).events[0]?.target.id).toBe(user.user.id);
  });
});
