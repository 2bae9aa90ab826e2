/**
 * The operator commands of the Node build (`node dist/node/cli.js …`), as the
 * Kubernetes CronJobs run them: against a real database, exit codes and output.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migratePostgres } from "../../src/adapters/postgres/migrate-pg.js";
import { createPgDatabase } from "../../src/adapters/postgres/pg.js";
import { MIGRATIONS_FOLDER } from "../../src/entry/node-deps.js";
import { seedTenant, seedUser } from "../contract/seed.js";
import { createTestDatabase, rowReader, type TestDatabase } from "../support/postgres.js";
import { deletePrefix, testPrefix } from "../support/redis.js";
import { ADMIN_KEY, ENCRYPTION_KEYS, ENTRY, PUBLIC_URL } from "../support/runtime-node.js";
import { REDIS_URL } from "../support/services.js";

const CLI = join(ENTRY, "..", "cli.js");
let database: TestDatabase;
const prefix = testPrefix();

type CliRun = { code: number | null; output: string; stdout: string; stderr: string };

function cli(...args: string[]): Promise<CliRun> {
  return cliWith({}, ...args);
}

function cliWith(env: Record<string, string>, ...args: string[]): Promise<CliRun> {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: {
      PATH: process.env.PATH ?? "",
      APP_ENV: "test",
      PUBLIC_URL,
      DATABASE_URL: database.url,
      REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      BOOTSTRAP_ADMIN_KEY: ADMIN_KEY,
      ENCRYPTION_KEYS,
      MIGRATE_ON_START: "false",
      SESSION_RETENTION: "30d",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    output += chunk.toString();
    stdout += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    output += chunk.toString();
    stderr += chunk.toString();
  });
  return new Promise((resolve) => child.once("close", (code) => resolve({ code, output, stdout, stderr })));
}

beforeAll(async () => {
  expect(existsSync(CLI), `${CLI} is missing: run npm run build`).toBe(true);
  database = await createTestDatabase();
  await migratePostgres(database.url, MIGRATIONS_FOLDER);
}, 60_000);

afterAll(async () => {
  await deletePrefix(prefix);
  await database?.drop();
});

describe("cli.js", () => {
  it("cleanup erases users deleted unerased, deletes the sessions that ended past the retention, and says how many", async () => {
    const db = createPgDatabase(database.url, { max: 1 });
    try {
      const now = new Date();
      const tenantId = await seedTenant(db, "cli", now);
      const userId = await seedUser(db, tenantId, now);
      const insert = (days: number) => {
        const end = new Date(now.getTime() + days * 86_400_000);
        return db.sessions.create({
          id: crypto.randomUUID(),
          tenantId,
          userId,
          authMethod: "password",
          amr: ["pwd"],
          clientId: "first-party",
          scope: "openid",
          userAgent: null,
          ip: null,
          authTime: now,
          lastUsedAt: now,
          expiresAt: end,
          absoluteExpiresAt: end,
          refreshHash: "h",
        });
      };
      const ended = [await insert(-45), await insert(-40)];
      const kept = [await insert(-3), await insert(20)];
      const token = (expiresAt: Date) => ({
        tokenHash: crypto.randomUUID(),
        tenantId,
        userId,
        purpose: "password_reset" as const,
        emailIndex: "k1:x",
        emailSealed: null,
        createdAt: now,
        expiresAt,
      });
      const expired = token(new Date(now.getTime() - 60_000));
      const open = token(new Date(now.getTime() + 30 * 60_000));
      await db.accountTokens.create(expired);
      await db.accountTokens.create(open);
      const revoked = (expiresAt: Date) => ({ tenantId, sessionId: crypto.randomUUID(), jti: "j", expiresAt });
      const revokedLive = revoked(new Date(now.getTime() + 60_000));
      await db.revokedAccessTokens.record(revoked(new Date(now.getTime() - 60_000)));
      await db.revokedAccessTokens.record(revokedLive);
      // Deleted by a release before erasure: deleted_at set, nothing erased.
      const deletedId = await seedUser(db, tenantId, now);
      const reader = await rowReader(database.url);
      try {
        await reader.rows("update users set deleted_at = now() where id = $1", [deletedId]);
      } finally {
        await reader.close();
      }
      const run = await cli("cleanup");
      expect(run, run.output).toMatchObject({ code: 0 });
      expect(run.output).toContain("erased 1 deleted user(s); purged 2 ended session(s)");
      expect(run.output).toContain("purged 2 ended session(s)");
      expect(run.output).toContain("1 expired mailed token(s) and 1 expired revoked access token(s)");
      expect(await db.revokedAccessTokens.listLive(tenantId, revokedLive.sessionId, now)).toEqual([revokedLive]);
      expect(await db.accountTokens.find(tenantId, open.tokenHash, ["password_reset"], now)).not.toBeNull();
      for (const session of ended) expect(await db.sessions.findById(tenantId, session.id)).toBeNull();
      for (const session of kept) expect(await db.sessions.findById(tenantId, session.id)).not.toBeNull();
    } finally {
      await db.close();
    }
  });

  it("rotate-keys runs, and an unknown command prints the usage with exit code 2", async () => {
    const rotate = await cli("rotate-keys");
    expect(rotate, rotate.output).toMatchObject({ code: 0 });
    expect(rotate.output).toMatch(/rotated the keys of \d+ tenant\(s\)/);
    const unknown = await cli("vacuum");
    expect(unknown.code).toBe(2);
    expect(unknown.output).toContain("usage: cli.js rotate-keys | reencrypt | cleanup");
  });

  it("prints the usage on stdout with exit 0 when asked for help, a command's own for that command", async () => {
    const ALL = "usage: cli.js rotate-keys | reencrypt | cleanup";
    // Each is its own process: run them side by side.
    const all = <T extends string[]>(cases: T[]) =>
      Promise.all(cases.map(async (args) => [args, await cli(...args)] as const));
    for (const [args, asked] of await all([["--help"], ["-h"], ["help"]])) {
      expect(asked, args.join(" ")).toMatchObject({ code: 0, stderr: "" });
      expect(asked.stdout).toMatch(new RegExp(`^${ALL.replace(/[|]/g, "\\|")}\n`));
      expect(asked.stdout).toContain("cli.js create-admin --tenant T --email E");
    }
    const createAdmin = "usage: cli.js create-admin --tenant T --email E\n";
    for (const [args, asked] of await all([
      ["create-admin", "--help"],
      ["create-admin", "-h"],
      ["help", "create-admin"],
      // Asked for help among other arguments, even bad ones: the help, and nothing done.
      ["create-admin", "--tenant", "x", "--help"],
      ["create-admin", "--nonsense", "-h"],
    ])) {
      expect(asked, args.join(" ")).toMatchObject({ code: 0, stdout: createAdmin, stderr: "" });
    }
    expect(await cli("rotate-keys", "--help")).toMatchObject({
      code: 0,
      stdout: "usage: cli.js rotate-keys [--force [--tenant T]]\n",
    });
    // Help for a command that does not exist is a usage error.
    for (const [args, unknown] of await all([
      ["vacuum", "--help"],
      ["help", "vacuum"],
      ["help", "cleanup", "extra"],
    ])) {
      expect(unknown, args.join(" ")).toMatchObject({ code: 2, stdout: "" });
      expect(unknown.stderr).toContain(ALL);
    }
  });

  it("refuses an option given twice with exit 2, rather than acting on the last", async () => {
    const cases = [
      ["list-users", "--tenant", "a", "--tenant", "b"],
      ["list-users", "--tenant=a", "--tenant", "b"],
      ["disable-user", "--tenant", "a", "--email", "x@example.com", "--email", "y@example.com"],
    ];
    const answers = await Promise.all(cases.map((args) => cli(...args)));
    for (const [index, repeated] of answers.entries()) {
      const args = cases[index] ?? [];
      expect(repeated, args.join(" ")).toMatchObject({ code: 2, stdout: "" });
      expect(repeated.stderr).toMatch(/^--(tenant|email) is given more than once\n/);
      expect(repeated.stderr).toContain("usage: cli.js");
    }
  });
});
