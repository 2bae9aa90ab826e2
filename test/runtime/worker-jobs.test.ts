/**
 * The Worker's cron jobs inside workerd (the built bundle): the daily cron
 * purges sessions that ended before SESSION_RETENTION, the hourly one runs
 * the key rotation and purges nothing; a job that fails says so in the log,
 * as on Node, and the run is still reported failed.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client, type TokenBody } from "../support/accounts.js";
import { startWorkerHarness, type WorkerHarness, type WorkerInstance } from "../support/runtime-worker.js";

let h: WorkerHarness;
let worker: WorkerInstance;
let db: pg.Client;

beforeAll(async () => {
  h = await startWorkerHarness();
  worker = await h.start({ SESSION_RETENTION: "30d" });
  db = new pg.Client({ connectionString: h.database.url });
  await db.connect();
  await client(worker.request, h.adminKey).createTenant("jobs");
});

afterAll(async () => {
  await db?.end();
  await h?.close();
});

async function session(email: string): Promise<string> {
  const response = await client(worker.request, h.adminKey).signup("jobs", email);
  expect(response.status).toBe(201);
  return ((await response.json()) as TokenBody).session_id;
}

/** Moves a session's expiry into the past, as if it had ended that many days ago. */
async function endedDaysAgo(id: string, days: number): Promise<void> {
  await db.query(
    "UPDATE sessions SET expires_at = now() - make_interval(days => $2), absolute_expires_at = now() - make_interval(days => $2) WHERE id = $1",
    [id, days],
  );
}

const exists = async (id: string) => (await db.query("SELECT 1 FROM sessions WHERE id = $1", [id])).rowCount === 1;

async function runCron(cron: string) {
  const scheduled = await (await worker.mf.getWorker()).scheduled({ cron, scheduledTime: new Date() });
  expect(scheduled.outcome).toBe("ok");
}

describe("cron jobs inside workerd", () => {
  it("the hourly cron (key rotation) purges nothing; the daily cron purges sessions ended past the retention", async () => {
    const old = await session("old@example.com");
    const recent = await session("recent@example.com");
    const live = await session("live@example.com");
    await endedDaysAgo(old, 40);
    await endedDaysAgo(recent, 5);

    await runCron("17 * * * *");
    expect(await exists(old)).toBe(true);

    await runCron("43 3 * * *");
    expect(await exists(old)).toBe(false);
    expect(await exists(recent)).toBe(true);
    expect(await exists(live)).toBe(true);
    const purged = worker.logs.find((line) => line.includes('"event":"ended_sessions_purged"'));
    expect(JSON.parse(purged ?? "{}")).toMatchObject({ purged: 1 });
  });
});

describe("a failing cron job inside workerd", () => {
  it("logs key_rotation_job_failed / cleanup_job_failed with the error, no query parameters, and fails the run", async () => {
    // The bridge answers for a database that is not there: every query fails.
    const broken = await h.start({ DATABASE_URL: "postgresql://postgres:unused@neon.test/no_such_database" });
    for (const [cron, event] of [
      ["17 * * * *", "key_rotation_job_failed"],
      ["43 3 * * *", "cleanup_job_failed"],
    ] as const) {
      const scheduled = await (await broken.mf.getWorker()).scheduled({ cron, scheduledTime: new Date() });
      // As before the log line: Cloudflare records the run as failed.
      expect(scheduled.outcome).toBe("exception");
      const lines = broken.logs.filter((line) => line.includes(`"event":"${event}"`));
      expect(lines).toHaveLength(1);
      const line = JSON.parse(lines[0] ?? "{}");
      expect(line).toMatchObject({ level: "error", cron, error: expect.any(String), message: expect.any(String) });
      expect(line.message).toMatch(/^Failed query: /);
      expect(lines[0]).not.toContain("params:");
    }
  });
});

describe("a cron run with ENCRYPTION_KEYS that cannot open the data", () => {
  it("logs encryption_keys_unusable naming the key id and the tables, and fails the run", async () => {
    // The jobs tenant's keys and users are sealed under the harness's key; this Worker lists another only.
    const other = `k9:${Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64")}`;
    const blind = await h.start({ ENCRYPTION_KEYS: other });
    const scheduled = await (await blind.mf.getWorker()).scheduled({ cron: "17 * * * *", scheduledTime: new Date() });
    expect(scheduled.outcome).toBe("exception");
    const lines = blind.logs.filter((line) => line.includes('"event":"encryption_keys_unusable"'));
    expect(lines).toHaveLength(1);
    const [keyId] = h.encryptionKeys.split(":");
    expect(JSON.parse(lines[0] ?? "{}")).toMatchObject({
      level: "error",
      missing_key_ids: [keyId],
      tables: expect.stringContaining("signing_keys"),
    });
    // With the key listed after the new one, the run is clean.
    const both = await h.start({ ENCRYPTION_KEYS: `${other},${h.encryptionKeys}` });
    const clean = await (await both.mf.getWorker()).scheduled({ cron: "17 * * * *", scheduledTime: new Date() });
    expect(clean.outcome).toBe("ok");
    expect(both.logs.join("\n")).not.toContain("encryption_keys_unusable");
  });
});
