/**
 * The operator's administration commands of the Node build (`node dist/node/cli.js …`):
 * directly on Postgres + Redis shared with an in-process app, and through the running
 * server when it owns the embedded PGlite files and in-process store.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.js";
import { type Answer, expectProblem, readAnswer } from "../support/problem.js";
import {
  call,
  cleanupNodes,
  ENCRYPTION_KEYS,
  ENTRY,
  exitOf,
  PROCESS_TEST_MS,
  spawnNode,
  startNode,
  stop,
  tempDir,
} from "../support/runtime-node.js";
import { REDIS_URL } from "../support/services.js";

const CLI = join(ENTRY, "..", "cli.js");
const ADMIN_KEY = "cli-admin-test-bootstrap-key-0123456789abcdef";
const TENANT = "cli";

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(env: Record<string, string>, args: string[]): Promise<Run> {
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

/** A sign-up's or login's answer, its tokens typed. */
type Tokens = Answer & { json: { access_token: string; refresh_token: string; user: { id: string } } };
const tokens = (answer: Answer) => answer as Tokens;

const passwordIn = (output: string) => /password \(shown only now\): (\S+)/.exec(output)?.[1] ?? "";
const scopesOf = (accessToken: string) =>
  String(JSON.parse(Buffer.from(accessToken.split(".")[1] ?? "", "base64url").toString()).scope).split(" ");
const json = (body: unknown, headers: Record<string, string> = {}) => ({
  method: "POST",
  headers: { "Content-Type": "application/json", ...headers },
  body: JSON.stringify(body),
});

afterAll(cleanupNodes, 30_000);

describe("directly on Postgres and Redis (shared with a running app)", () => {
  let app: TestApp;
  let env: Record<string, string>;
  const cli = (...args: string[]) => run(env, args);
  const post = async (path: string, body: unknown, headers?: Record<string, string>) =>
    tokens(await readAnswer(await app.app.request(`/t/${TENANT}/v1/${path}`, json(body, headers))));

  beforeAll(async () => {
    expect(existsSync(CLI), `${CLI} is missing: run npm run build:node`).toBe(true);
    app = await startTestApp({}, { BOOTSTRAP_ADMIN_KEY: ADMIN_KEY, ENCRYPTION_KEYS });
    await app.services.tenants.create(TENANT, "CLI");
    env = {
      APP_ENV: "test",
      PUBLIC_URL: app.deps.config.PUBLIC_URL,
      DATABASE_URL: app.database.url,
      REDIS_URL,
      REDIS_KEY_PREFIX: app.prefix,
      BOOTSTRAP_ADMIN_KEY: ADMIN_KEY,
      ENCRYPTION_KEYS,
      MIGRATE_ON_START: "false",
      DATA_DIR: tempDir("authority-cli-"),
    };
  }, 60_000);

  afterAll(async () => {
    await app?.close();
  });

  it("create-admin makes a new user whose printed password logs in, with admin in the token", async () => {
    const created = await cli("create-admin", "--tenant", TENANT, "--email", "root@example.com");
    expect(created.code, created.stderr).toBe(0);
    expect(created.stderr).toContain("through the database (pg)");
    expect(created.stdout).toMatch(/created user [0-9a-f-]{36} <root@example.com> in tenant "cli"/);
    expect(created.stdout).toContain("now holds admin");
    const password = passwordIn(created.stdout);
    expect(password.length).toBeGreaterThanOrEqual(32);
    const login = await post("login", { email: "root@example.com", password });
    expect(login.status, login.text).toBe(200);
    expect(scopesOf(login.json.access_token)).toContain("admin");
  });

  it("create-admin on an existing user adds admin from its next refresh, and prints no password", async () => {
    const signup = await post("signup", { email: "member@example.com", password: "a long member passphrase" });
    expect(signup.status, signup.text).toBe(201);
    expect(scopesOf(signup.json.access_token)).not.toContain("admin");
    const promoted = await cli("create-admin", "--tenant", TENANT, "--email", "Member@EXAMPLE.com");
    expect(promoted.code, promoted.stderr).toBe(0);
    expect(promoted.stdout).not.toContain("password");
    expect(promoted.stdout).toContain(`user ${signup.json.user.id} <member@example.com> now holds admin`);
    const refreshed = await post("token/refresh", { refresh_token: signup.json.refresh_token });
    expect(refreshed.status, refreshed.text).toBe(200);
    expect(scopesOf(refreshed.json.access_token)).toContain("admin");
    const again = await cli("create-admin", "--tenant", TENANT, "--email", "member@example.com");
    expect(again.stdout).toContain("already holds admin");
  });

  it("create-service-key prints a key that introspects tokens", async () => {
    const made = await cli(
      "create-service-key",
      "--tenant",
      TENANT,
      "--name",
      "gateway",
      "--scopes",
      "tokens:introspect",
      "--expires-at",
      "2099-01-01T00:00:00Z",
    );
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout).toMatch(/service key [0-9a-f-]{36} \(prefix sk_\w+\) "gateway"/);
    expect(made.stdout).toContain("expires: 2099-01-01T00:00:00.000Z");
    const key = made.stdout.trim().split("\n").at(-1) ?? "";
    expect(key).toMatch(/^sk_/);
    const user = await post("signup", { email: "reader@example.com", password: "a long reader passphrase" });
    const answer = await post("introspect", { token: user.json.access_token }, { Authorization: `Bearer ${key}` });
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json).toMatchObject({ active: true, sub: user.json.user.id });
  });

  it("list-users prints every user as a table, through as many pages as there are", async () => {
    // Past one page of the admin listing (100), so the command follows next_cursor.
    const tenant = await app.services.tenants.require(TENANT);
    const before = await app.services.userAdmin.list(tenant, { limit: 100 });
    for (let i = before.users.length; i < 103; i++) {
      const id = crypto.randomUUID();
      await app.deps.db.users.createIfAbsent({
        id,
        tenantId: tenant.id,
        emailIndex: await app.deps.sealer.blindIndex(`bulk${i}@example.com`, "users.email"),
        emailSealed: await app.deps.sealer.seal(`bulk${i}@example.com`, `users.email:${tenant.id}:${id}`),
        nameSealed: null,
        emailVerified: false,
        passwordHash: null,
        scopes: [],
        now: new Date(),
      });
    }
    const all = await cli("list-users", "--tenant", TENANT);
    expect(all.code, all.stderr).toBe(0);
    const lines = all.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^id\s+email\s+scopes\s+disabled\s+created_at\s+last_login_at$/);
    expect(lines.at(-1)).toBe("103 user(s)");
    expect(new Set(lines.slice(1, -1).map((line) => line.split(/\s+/)[0])).size).toBe(103);
    expect(all.stdout).toMatch(/root@example.com\s+admin\s+no\s+\S+Z\s+\S+Z/);
    const one = await cli("list-users", "--tenant", TENANT, "--email", "root@example.com");
    expect(one.stdout.trim().split("\n")).toHaveLength(3);
    const two = await cli("list-users", "--tenant", TENANT, "--limit", "2");
    expect(two.stdout.trim().split("\n").at(-1)).toBe("2 user(s)");
  });

  it("disable-user ends the user's sessions at once; enable-user lets it log in again", async () => {
    const password = "a long victim passphrase";
    const user = await post("signup", { email: "leaver@example.com", password });
    const disabled = await cli("disable-user", "--tenant", TENANT, "--email", "leaver@example.com");
    expect(disabled.code, disabled.stderr).toBe(0);
    expect(disabled.stdout).toContain(`disabled user ${user.json.user.id}`);
    expectProblem(await post("token/refresh", { refresh_token: user.json.refresh_token }), 401, "invalid_grant");
    expectProblem(await post("login", { email: "leaver@example.com", password }), 403, "account_disabled");
    const enabled = await cli("enable-user", "--tenant", TENANT, "--id", user.json.user.id);
    expect(enabled.code, enabled.stderr).toBe(0);
    expect((await post("login", { email: "leaver@example.com", password })).status).toBe(200);
  });

  it("leaves its admin writes on the audit trail as the admin routes do, acted by the system", async () => {
    const events = async (action: string) => {
      const answer = await readAnswer(
        await app.app.request(`/t/${TENANT}/v1/admin/audit-events?action=${action}`, {
          headers: { Authorization: `Bearer ${ADMIN_KEY}` },
        }),
      );
      expect(answer.status, answer.text).toBe(200);
      return answer.json.events as Record<string, unknown>[];
    };
    const cliActor = { type: "system", id: "cli" };
    const updates = await events("admin.users.update");
    for (const details of [
      { fields: ["scopes"], scopes: ["admin"] },
      { fields: ["disabled"], disabled: true },
      { fields: ["disabled"], disabled: false },
    ]) {
      expect(updates).toContainEqual(expect.objectContaining({ actor: cliActor, details }));
    }
    expect(await events("admin.api_keys.create")).toContainEqual(
      expect.objectContaining({ actor: cliActor, target: { type: "api_key", id: expect.any(String) } }),
    );
  });

  it("unknown tenant or user: a message and exit 1; bad arguments: the usage and exit 2", async () => {
    const tenant = await cli("list-users", "--tenant", "nowhere");
    expect(tenant).toMatchObject({ code: 1, stderr: expect.stringContaining('There is no tenant "nowhere".') });
    const user = await cli("disable-user", "--tenant", TENANT, "--email", "ghost@example.com");
    expect(user.code).toBe(1);
    expect(user.stderr).toContain('No user with the email address ghost@example.com in tenant "cli".');
    const id = await cli("disable-user", "--tenant", TENANT, "--id", crypto.randomUUID());
    expect(id).toMatchObject({ code: 1, stderr: expect.stringContaining("No such user.") });
    for (const args of [
      ["create-admin", "--tenant", TENANT],
      ["create-admin", "--tenant", TENANT, "--email", "x@example.com", "--scopes", "admin"],
      ["disable-user", "--tenant", TENANT, "--email", "a@example.com", "--id", crypto.randomUUID()],
      ["list-users", "--tenant", TENANT, "--limit", "0"],
      ["create-service-key", "--tenant", TENANT, "--name", "k", "--scopes", "bad scope"],
      ["create-service-key", "--tenant", TENANT, "--name", "k", "--scopes", "a", "--expires-at", "tomorrow"],
    ]) {
      const bad = await cli(...args);
      expect(bad.code, args.join(" ")).toBe(2);
      expect(bad.stderr).toContain("usage: cli.js");
      expect(bad.stderr).not.toMatch(/\n\s+at /);
    }
    // An address the service refuses is the operator's input too.
    const address = await cli("create-admin", "--tenant", TENANT, "--email", "not-an-address");
    expect(address.code).toBe(2);
    expect(address.stderr).toMatch(/email: /);
    const past = await cli(
      "create-service-key",
      "--tenant",
      TENANT,
      "--name",
      "k",
      "--scopes",
      "a",
      "--expires-at",
      "2001-01-01T00:00:00Z",
    );
    expect(past).toMatchObject({ code: 2, stderr: expect.stringContaining("expires_at: must be in the future") });
  }, 60_000);
});

describe("on the embedded database of a running server", () => {
  it(
    "goes through the server's admin API: PGlite is opened once, and a disable ends sessions in its store",
    async () => {
      const dataDir = tempDir("authority-cli-embedded-");
      const env = { APP_ENV: "development", DATA_DIR: dataDir };
      const server = await startNode(env);
      const cli = (...args: string[]) => run(env, args);
      const post = async (path: string, body: unknown) =>
        tokens(await call(server, `/t/default/v1/${path}`, json(body)));

      const created = await cli("create-admin", "--tenant", "default", "--email", "owner@example.com");
      expect(created.code, created.stderr).toBe(0);
      expect(created.stderr).toContain(
        `through the server at http://127.0.0.1:${server.port} (pid ${server.child.pid})`,
      );
      const login = await post("login", { email: "owner@example.com", password: passwordIn(created.stdout) });
      expect(login.status, login.text).toBe(200);
      expect(scopesOf(login.json.access_token)).toContain("admin");

      const member = await post("signup", { email: "member@example.com", password: "a long member passphrase" });
      expect(member.status, member.text).toBe(201);
      const disabled = await cli("disable-user", "--tenant", "default", "--email", "member@example.com");
      expect(disabled.code, disabled.stderr).toBe(0);
      expectProblem(await post("token/refresh", { refresh_token: member.json.refresh_token }), 401, "invalid_grant");

      // The admin requests are in the server's log; the CLI never opened the database.
      const log = server.output();
      for (const [method, route] of [
        ["GET", "/t/:tenant/v1/admin/users"],
        ["POST", "/t/:tenant/v1/signup"],
        ["PATCH", "/t/:tenant/v1/admin/users/:id"],
      ]) {
        expect(log).toMatch(new RegExp(`"event":"request",[^\\n]*"method":"${method}","route":"${route}","status":20`));
      }
      expect(log.match(/"event":"migrations_applied"/g)).toHaveLength(1);
      for (const output of [created, disabled]) expect(output.stdout + output.stderr).not.toMatch(/pglite|migrations/);

      // The jobs refuse to open PGlite under the server.
      const job = await cli("rotate-keys");
      expect(job).toMatchObject({ code: 1, stderr: expect.stringContaining("runs rotate-keys itself") });

      // A second server on the same DATA_DIR refuses to start: PGlite's files have one owner.
      const second = await spawnNode(env);
      expect(await exitOf(second), second.output()).toMatchObject({ code: 1 });
      expect(second.output()).toContain(
        `belongs to the server at http://127.0.0.1:${server.port} (pid ${server.child.pid})`,
      );
      expect(JSON.parse(readFileSync(join(dataDir, "server.json"), "utf8")).pid).toBe(server.child.pid);
      expect((await call(server, "/healthz")).status).toBe(200);

      expect(await stop(server), server.output()).toMatchObject({ code: 0 });
      expect(existsSync(join(dataDir, "server.json"))).toBe(false);
      // A record left by a server that is gone (a dead pid) is ignored: the CLI opens PGlite itself.
      const gone = spawnSync(process.execPath, ["-e", ""]).pid;
      writeFileSync(join(dataDir, "server.json"), JSON.stringify({ pid: gone, url: "http://127.0.0.1:9" }));
      const direct = await cli("list-users", "--tenant", "default");
      expect(direct.code, direct.stderr).toBe(0);
      expect(direct.stderr).toContain("through the database (pglite)");
      expect(direct.stdout).toMatch(/member@example.com\s+-\s+yes/);
      expect(direct.stdout).toMatch(/owner@example.com\s+admin\s+no/);
    },
    PROCESS_TEST_MS,
  );
});
