/**
 * What an operator runs after restoring a database backup (docs/operations.md,
 * "Restoring a backup"), with the Node build (`node dist/node/cli.js …`) on the
 * Postgres and Redis an in-process app serves from: `revoke-all-sessions`
 * ends every session a restore brought back (in Redis and the ledger) and,
 * with --include-api-keys, every API key; `rotate-keys --force` rotates now.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Tenant } from "../../src/core/ports/database.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { type Answer, expectProblem, readAnswer } from "../support/problem.js";
import { deletePrefix } from "../support/redis.js";
import { cleanupNodes, ENCRYPTION_KEYS, ENTRY, PROCESS_TEST_MS, tempDir } from "../support/runtime-node.js";
import { REDIS_URL } from "../support/services.js";

const CLI = join(ENTRY, "..", "cli.js");
const ADMIN_KEY = "cli-restore-test-bootstrap-key-0123456789abcdef";
const [A, B] = ["restored-a", "restored-b"];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

type Tokens = Answer & { json: { access_token: string; refresh_token: string; user: { id: string } } };

let app: TestApp;
let env: Record<string, string>;

function cli(...args: string[]): Promise<Run> {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.once("close", (code) => resolve({ code, stdout, stderr })));
}

const request = async (path: string, init: { method?: string; bearer?: string; body?: unknown } = {}) =>
  readAnswer(
    await app.app.request(path, {
      method: init.method ?? (init.body === undefined ? "GET" : "POST"),
      headers: {
        ...(init.body === undefined ? {} : { "Content-Type": "application/json" }),
        ...(init.bearer ? { Authorization: `Bearer ${init.bearer}` } : {}),
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    }),
  );

const PASSWORD = "a long restored passphrase";
const signup = async (tenant: string, email: string) =>
  (await request(`/t/${tenant}/v1/signup`, { body: { email, password: PASSWORD } })) as Tokens;
const login = async (tenant: string, email: string) =>
  (await request(`/t/${tenant}/v1/login`, { body: { email, password: PASSWORD } })) as Tokens;
const me = (tenant: string, session: Tokens) => request(`/t/${tenant}/v1/me`, { bearer: session.json.access_token });
const refresh = (tenant: string, session: Tokens) =>
  request(`/t/${tenant}/v1/token/refresh`, { body: { refresh_token: session.json.refresh_token } });

/** A service key of the tenant that may introspect tokens, made by the admin route. */
async function serviceKey(tenant: string): Promise<string> {
  const made = await request(`/t/${tenant}/v1/admin/api-keys`, {
    bearer: ADMIN_KEY,
    body: { name: "gateway", scopes: ["tokens:introspect"] },
  });
  expect(made.status, made.text).toBe(201);
  return made.json.key as string;
}

/** Whether the tenant's key still opens introspection (a revoked key: 401). */
async function keyWorks(tenant: string, key: string, token: string): Promise<boolean> {
  const answer = await request(`/t/${tenant}/v1/introspect`, { bearer: key, body: { token } });
  expect([200, 401], answer.text).toContain(answer.status);
  return answer.status === 200;
}

const ringOf = async (tenant: Tenant) =>
  (await app.deps.db.signingKeys.listPublished(tenant.id, new Date(), 100)).map((key) => [key.kid, key.state] as const);

beforeAll(async () => {
  expect(existsSync(CLI), `${CLI} is missing: run npm run build:node`).toBe(true);
  app = await startTestApp({}, { BOOTSTRAP_ADMIN_KEY: ADMIN_KEY, ENCRYPTION_KEYS });
  await app.services.tenants.create(A, "A");
  await app.services.tenants.create(B, "B");
  env = {
    APP_ENV: "test",
    PUBLIC_URL: app.deps.config.PUBLIC_URL,
    DATABASE_URL: app.database.url,
    REDIS_URL,
    REDIS_KEY_PREFIX: app.prefix,
    BOOTSTRAP_ADMIN_KEY: ADMIN_KEY,
    ENCRYPTION_KEYS,
    MIGRATE_ON_START: "false",
    DATA_DIR: tempDir("authority-cli-restore-"),
  };
}, 60_000);

afterAll(async () => {
  await app?.close();
  await cleanupNodes(); // removes the DATA_DIR made above
}, 30_000);

describe("revoke-all-sessions", () => {
  it(
    "ends every session of one tenant or all, in Redis and the ledger; API keys only when asked",
    async () => {
      const ann = await signup(A, "ann@example.com");
      const annAgain = await login(A, "ann@example.com");
      const bob = await signup(A, "bob@example.com");
      const cat = await signup(B, "cat@example.com");
      for (const session of [ann, annAgain, bob, cat]) expect(session.status, session.text).toBeLessThan(300);
      // Ended before the "backup", and brought back by its restore: the ledger says live, Redis (flushed) nothing.
      const revived = await signup(A, "dan@example.com");
      expect((await request(`/t/${A}/v1/logout`, { bearer: revived.json.access_token, method: "POST" })).status).toBe(
        204,
      );
      const client = new pg.Client({ connectionString: app.database.url });
      await client.connect();
      try {
        await client.query("UPDATE sessions SET revoked_at = NULL, revoked_reason = NULL WHERE user_id = $1", [
          revived.json.user.id,
        ]);
      } finally {
        await client.end();
      }
      await deletePrefix(app.prefix);
      expect((await me(A, revived)).status).toBe(200);
      // Redis holds the others' state again (each vouches for its session) once they are used.
      for (const [tenant, session] of [
        [A, ann],
        [A, annAgain],
        [A, bob],
        [B, cat],
      ] as const) {
        expect((await me(tenant, session)).status).toBe(200);
      }
      const [keyOfA, keyOfB] = [await serviceKey(A), await serviceKey(B)];
      // Verified once, so cached in Redis: revocation must reach the cache too.
      expect(await keyWorks(A, keyOfA, ann.json.access_token)).toBe(true);
      expect(await keyWorks(B, keyOfB, cat.json.access_token)).toBe(true);

      const one = await cli("revoke-all-sessions", "--tenant", B);
      expect(one.code, one.stderr + one.stdout).toBe(0);
      expect(one.stdout).toContain(`tenant "${B}": ended 1 session(s)\n`);
      expect(one.stdout).toContain("ended 1 session(s) of 1 tenant(s)");
      expectProblem(await me(B, cat), 401, "token_revoked");
      expectProblem(await refresh(B, cat), 401, "invalid_grant");
      // Without --include-api-keys the keys stay; the other tenant's sessions too.
      expect(await keyWorks(B, keyOfB, ann.json.access_token)).toBe(true);
      expect((await me(A, ann)).status).toBe(200);

      const all = await cli("revoke-all-sessions", "--include-api-keys");
      expect(all.code, all.stderr + all.stdout).toBe(0);
      expect(all.stdout).toContain(`tenant "${A}": ended 4 session(s) and revoked 1 API key(s)\n`);
      expect(all.stdout).toContain(`tenant "${B}": ended 0 session(s) and revoked 1 API key(s)\n`);
      expect(all.stdout).toMatch(/ended \d+ session\(s\) and revoked \d+ API key\(s\) of \d+ tenant\(s\)/);
      for (const session of [ann, annAgain, bob, revived]) {
        expectProblem(await me(A, session), 401, "token_revoked");
        expectProblem(await refresh(A, session), 401, "invalid_grant");
      }
      expect(await keyWorks(A, keyOfA, ann.json.access_token)).toBe(false);
      expect(await keyWorks(B, keyOfB, cat.json.access_token)).toBe(false);
      // Logged in afterwards: a new session works.
      expect((await me(A, await login(A, "ann@example.com"))).status).toBe(200);
      // On the audit trail, acted by the system.
      const tenantA = await app.services.tenants.require(A);
      const events = await app.deps.db.auditEvents.list(tenantA.id, { action: "tenant.sessions_revoked" }, null, 10);
      expect(events.map((event) => [event.actorType, event.details])).toEqual([
        ["system", { count: 4, reason: "admin" }],
      ]);
    },
    PROCESS_TEST_MS,
  );

  it(
    "refuses arguments it does not take, with exit 2",
    async () => {
      const runs = await Promise.all([
        cli("revoke-all-sessions", "--tenant"),
        cli("revoke-all-sessions", "--force"),
        cli("revoke-all-sessions", "--tenant", A, "--tenant", B),
        cli("rotate-keys", "--tenant", A),
        cli("cleanup", "--tenant", A),
      ]);
      for (const run of runs) expect(run, run.stderr).toMatchObject({ code: 2, stdout: "" });
      const unknown = await cli("revoke-all-sessions", "--tenant", "no-such-tenant");
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain("no-such-tenant");
    },
    PROCESS_TEST_MS,
  );
});

describe("rotate-keys --force", () => {
  it(
    "rotates now, due or not: twice retires both keys the ring held",
    async () => {
      const tenant = await app.services.tenants.require(A);
      await app.services.keyRing.published(tenant, true);
      const before = await ringOf(tenant);
      const activeBefore = before.find(([, state]) => state === "active")?.[0];
      const nextBefore = before.find(([, state]) => state === "next")?.[0];
      const first = await cli("rotate-keys", "--force", "--tenant", A);
      expect(first.code, first.stderr + first.stdout).toBe(0);
      expect(first.stdout).toContain(`tenant "${A}": active key ${nextBefore}, next key `);
      expect(first.stdout).toContain("rotated the keys of 1 tenant(s)");
      const second = await cli("rotate-keys", "--force", "--tenant", A);
      expect(second.code, second.stderr + second.stdout).toBe(0);
      const after = new Map(await ringOf(tenant));
      expect(after.get(activeBefore ?? "")).toBe("retired");
      expect(after.get(nextBefore ?? "")).toBe("retired");
      expect([...after.values()].filter((state) => state !== "retired")).toEqual(
        expect.arrayContaining(["active", "next"]),
      );
      // Without --force it is the scheduled job: nothing is due right after a rotation.
      const due = await cli("rotate-keys");
      expect(due.stdout).toContain("rotated the keys of 0 tenant(s)");
    },
    PROCESS_TEST_MS,
  );
});
