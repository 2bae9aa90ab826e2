/**
 * Sessions, refresh rotation and revocation inside workerd (the built Worker:
 * Lua scripts over Upstash REST, neon-http, the ledger write in waitUntil),
 * on the real clock, and across runtimes: the Node app on the same Postgres
 * and the same Redis prefix continues the Worker's token chains, and back.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sessionKeys } from "../../src/core/sessions/session-state.js";
import { client, decode, type TokenBody } from "../support/accounts.js";
import { expectProblem, readAnswer } from "../support/problem.js";
import { deletePrefix } from "../support/redis.js";
import {
  type NodeTwin,
  startNodeTwin,
  startWorkerHarness,
  type WorkerHarness,
  type WorkerInstance,
} from "../support/runtime-worker.js";

type Api = ReturnType<typeof client>;
type Signed = TokenBody & { user: { id: string } };

/** The grace window of `quick`; `worker` and the Node app keep the default 10 s. */
const SHORT_GRACE_MS = 1_000;
const pastShortGrace = () => new Promise((r) => setTimeout(r, SHORT_GRACE_MS + 500));

let h: WorkerHarness;
let worker: WorkerInstance;
let quick: WorkerInstance;
let onWorker: Api;
let onQuick: Api;
let twin: NodeTwin;
let onNode: Api;
let db: pg.Client;
let users = 0;

beforeAll(async () => {
  h = await startWorkerHarness();
  [worker, quick] = await Promise.all([h.start(), h.start({ REFRESH_GRACE_PERIOD: "1s" })]);
  onWorker = client((path, init) => worker.request(path, init), h.adminKey);
  onQuick = client((path, init) => quick.request(path, init), h.adminKey);
  // The Node app on the same database and the same Redis keys (the Worker's REDIS_KEY_PREFIX).
  twin = await startNodeTwin(h);
  const app = twin.app;
  onNode = client((path, init) => app.request(path, init), h.adminKey);
  db = new pg.Client({ connectionString: h.database.url });
  await db.connect();
  await onWorker.createTenant("edge");
  // Warm: a refresh waiting over half of quick's 1 s grace before its rotation is refused (503) as late.
  expect((await quick.request("/t/edge/.well-known/openid-configuration")).status).toBe(200);
}, 60_000);

afterAll(async () => {
  await twin?.close();
  await db?.end();
  await h?.close();
}, 60_000);

async function signup(api: Api = onWorker): Promise<Signed> {
  const response = await api.signup("edge", `user${++users}@example.org`);
  expect(response.status, await response.clone().text()).toBe(201);
  return response.json();
}

async function refreshOk(api: Api, token: string): Promise<TokenBody> {
  const response = await api.refresh("edge", token);
  expect(response.status, await response.clone().text()).toBe(200);
  expect(response.headers.get("cache-control")).toBe("no-store");
  const body = (await response.json()) as TokenBody;
  expect(body.refresh_token).toMatch(/^rt1\./);
  expect(body.refresh_token).not.toBe(token);
  return body;
}

async function expectInvalidGrant(response: Response): Promise<void> {
  expectProblem(await readAnswer(response), 401, "invalid_grant");
}

async function expectRevoked(api: Api, accessToken: string): Promise<void> {
  const answer = await readAnswer(await api.me("edge", accessToken));
  expectProblem(answer, 401, "token_revoked");
  expect(answer.headers.get("www-authenticate")).toContain('error="invalid_token"');
}

async function expectMe(api: Api, accessToken: string, userId: string): Promise<void> {
  const response = await api.me("edge", accessToken);
  expect(response.status, await response.clone().text()).toBe(200);
  expect(await response.json()).toMatchObject({ id: userId });
}

const sessionRow = async (id: string) =>
  (await db.query("SELECT * FROM sessions WHERE id = $1", [id])).rows[0] as Record<string, unknown>;

/** The ledger write runs after the response (waitUntil): wait for it rather than sleep. */
async function ledgerReaches(sessionId: string, generation: number): Promise<void> {
  await expect
    .poll(async () => (await sessionRow(sessionId)).refresh_generation, { timeout: 5_000, interval: 50 })
    .toBe(generation);
}

describe("refresh inside workerd", () => {
  it("returns a new pair whose access token works, and the ledger follows after the response", async () => {
    const first = await signup();
    expect(first.refresh_token).toMatch(/^rt1\./);
    expect((await sessionRow(first.session_id)).refresh_generation).toBe(0);
    const second = await refreshOk(onWorker, first.refresh_token);
    expect(second.session_id).toBe(first.session_id);
    expect(second.token_type).toBe("Bearer");
    expect(decode(second.access_token).claims).toMatchObject({ sid: first.session_id, sub: first.user.id });
    await expectMe(onWorker, second.access_token, first.user.id);
    await ledgerReaches(first.session_id, 1);
    const row = await sessionRow(first.session_id);
    expect(JSON.stringify(row)).not.toContain(second.refresh_token);
  });

  it("gives 20 concurrent refreshes of one token exactly one successor, which works", async () => {
    const first = await signup();
    const answers = await Promise.all(Array.from({ length: 20 }, () => onWorker.refresh("edge", first.refresh_token)));
    const bodies = (await Promise.all(answers.map((r) => r.json()))) as TokenBody[];
    expect(answers.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(new Set(bodies.map((b) => b.refresh_token)).size).toBe(1);
    // Every answer carries an access token of its own, and they all work.
    expect(new Set(bodies.map((b) => b.access_token)).size).toBe(20);
    await expectMe(onWorker, bodies[19]?.access_token ?? "", first.user.id);
    const next = await refreshOk(onWorker, bodies[0]?.refresh_token ?? "");
    await expectMe(onWorker, next.access_token, first.user.id);
    await ledgerReaches(first.session_id, 2);
  });

  it("revokes the session when a spent token comes back after the grace window", async () => {
    const first = await signup();
    const second = await refreshOk(onQuick, first.refresh_token);
    await pastShortGrace();
    await expectInvalidGrant(await onQuick.refresh("edge", first.refresh_token));
    await expectInvalidGrant(await onQuick.refresh("edge", second.refresh_token));
    await expectRevoked(onQuick, second.access_token);
    await expectRevoked(onWorker, first.access_token);
    expect((await sessionRow(first.session_id)).revoked_reason).toBe("refresh_token_reuse");
    const reuse = () => quick.logs.filter((line) => line.includes(first.session_id)).join("\n");
    await expect.poll(reuse, { timeout: 5_000 }).toContain("refresh_token_reuse");
    expect(reuse()).not.toContain(first.refresh_token.split(".")[1]);
  });
});

describe("revocation inside workerd", () => {
  it("logout ends the session: the access token and the refresh token stop at once", async () => {
    const first = await signup();
    expect((await onWorker.logout("edge", first.access_token)).status).toBe(204);
    await expectRevoked(onWorker, first.access_token);
    await expectInvalidGrant(await onWorker.refresh("edge", first.refresh_token));
    expect((await sessionRow(first.session_id)).revoked_reason).toBe("logout");
    expectProblem(await readAnswer(await onWorker.post("/t/edge/v1/logout", {})), 401, "unauthorized");
  });

  it("lists the caller's sessions with the current one flagged, and deletes another one", async () => {
    const first = await signup();
    const second = (await (await onWorker.login("edge", `user${users}@example.org`)).json()) as TokenBody;
    const listed = await onWorker.sessions("edge", first.access_token);
    expect(listed.status).toBe(200);
    const { sessions } = (await listed.json()) as { sessions: Record<string, unknown>[] };
    expect(sessions.map((s) => s.id).sort()).toEqual([first.session_id, second.session_id].sort());
    expect(sessions.find((s) => s.id === first.session_id)).toMatchObject({ current: true, auth_method: "password" });
    expect(sessions.find((s) => s.id === second.session_id)?.current).toBe(false);

    expect((await onWorker.deleteSession("edge", first.access_token, second.session_id)).status).toBe(204);
    await expectRevoked(onWorker, second.access_token);
    await expectInvalidGrant(await onWorker.refresh("edge", second.refresh_token));
    await expectMe(onWorker, first.access_token, first.user.id);
    const after = (await (await onWorker.sessions("edge", first.access_token)).json()) as { sessions: unknown[] };
    expect(after.sessions).toHaveLength(1);
    const again = await readAnswer(await onWorker.deleteSession("edge", first.access_token, second.session_id));
    expectProblem(again, 404, "not_found");
  });
});

describe("Redis loss under the Worker", () => {
  it("refreshes once from the ledger, and a session revoked before the loss stays revoked", async () => {
    const live = await signup();
    const gone = await signup();
    expect((await onWorker.logout("edge", gone.access_token)).status).toBe(204);
    // The Worker's keys, read through the Node adapter on the same prefix, and then lost.
    const keys = [sessionKeys(live.session_id)[0] ?? "", sessionKeys(gone.session_id)[2] ?? ""];
    const present = async () => Promise.all(keys.map(async (key) => (await twin.kv.get(key)) !== null));
    expect(await present()).toEqual([true, true]);
    const refills = () => worker.logs.filter((line) => line.includes("blocklist_refilled")).length;
    const refillsBefore = refills();
    await deletePrefix(h.prefix);
    expect(await present()).toEqual([false, false]);

    const answers = await Promise.all(Array.from({ length: 5 }, () => onWorker.refresh("edge", live.refresh_token)));
    expect(answers.map((r) => r.status)).toEqual(Array(5).fill(200));
    const bodies = (await Promise.all(answers.map((r) => r.json()))) as TokenBody[];
    expect(new Set(bodies.map((b) => b.refresh_token)).size).toBe(1);
    await expectMe(onWorker, bodies[0]?.access_token ?? "", live.user.id);
    await refreshOk(onWorker, bodies[0]?.refresh_token ?? "");

    await expectRevoked(onWorker, gone.access_token);
    await expectInvalidGrant(await onWorker.refresh("edge", gone.refresh_token));
    await expect.poll(refills, { timeout: 5_000 }).toBeGreaterThan(refillsBefore);
    expect(worker.logs.join("\n")).not.toContain(live.refresh_token);
  });
});

describe("across runtimes, on one Postgres and one Redis", () => {
  it("continues a Worker session's token chain on Node and back", async () => {
    const first = await signup(onWorker);
    const second = await refreshOk(onNode, first.refresh_token);
    await expectMe(onWorker, second.access_token, first.user.id);
    const third = await refreshOk(onWorker, second.refresh_token);
    await expectMe(onNode, third.access_token, first.user.id);
    const fourth = await refreshOk(onNode, third.refresh_token);
    // The Worker's retry of the token Node just spent is inside the grace window: the same successor.
    expect((await refreshOk(onWorker, third.refresh_token)).refresh_token).toBe(fourth.refresh_token);
    expect(new Set([first, second, third, fourth].map((b) => b.session_id)).size).toBe(1);
    await twin.services.background.drain();
    await ledgerReaches(first.session_id, 3);
  });

  it("continues a Node session's token chain on the Worker and back", async () => {
    const first = await signup(onNode);
    const second = await refreshOk(onWorker, first.refresh_token);
    const third = await refreshOk(onNode, second.refresh_token);
    await expectMe(onWorker, third.access_token, first.user.id);
    await ledgerReaches(first.session_id, 2);
  });

  it("detects on one runtime the reuse of a token the other rotated, and both refuse the session", async () => {
    // Rotated where the grace entry lives 1 s, so past it Node (10 s window) sees plain reuse.
    const first = await signup(onWorker);
    const second = await refreshOk(onQuick, first.refresh_token);
    await pastShortGrace();
    await expectInvalidGrant(await onNode.refresh("edge", first.refresh_token));
    await expectInvalidGrant(await onWorker.refresh("edge", second.refresh_token));
    await expectRevoked(onWorker, second.access_token);
    await expectRevoked(onNode, second.access_token);
  });

  it("refuses on the Worker a session logged out on Node", async () => {
    const first = await signup(onWorker);
    expect((await onNode.logout("edge", first.access_token)).status).toBe(204);
    await expectRevoked(onWorker, first.access_token);
    await expectInvalidGrant(await onWorker.refresh("edge", first.refresh_token));
  });
});
