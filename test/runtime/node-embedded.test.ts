/**
 * The built Node entry (dist/node/node.js) as a real child process on its embedded defaults
 * (PGlite + in-process store), through a restart, and with a broken configuration.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectProblem } from "../support/problem.js";
import {
  ADMIN_KEY,
  adminHeaders,
  call,
  cleanupNodes,
  createTenant,
  ENCRYPTION_KEYS,
  type Exit,
  exitOf,
  type NodeProcess,
  PROCESS_TEST_MS,
  PUBLIC_URL,
  spawnNode,
  startNode,
  stop,
  tempDir,
} from "../support/runtime-node.js";
import { REDIS_URL } from "../support/services.js";

afterAll(cleanupNodes, 30_000);

describe("on the embedded defaults (no DATABASE_URL, no REDIS_URL, no secrets)", () => {
  it(
    "seeds the default tenant, keeps its dev secrets in DATA_DIR, and keeps its data across a restart",
    async () => {
      const dataDir = tempDir("authority-node-");
      const env = { APP_ENV: "development", DATA_DIR: dataDir };

      const first = await startNode(env);
      expect(first.output()).toContain('First start: tenant "default" created');
      const secretsFile = join(dataDir, "dev-secrets.json");
      const secrets = JSON.parse(readFileSync(secretsFile, "utf8")) as Record<string, string>;
      expect(secrets.BOOTSTRAP_ADMIN_KEY?.length).toBeGreaterThanOrEqual(32);
      expect(secrets.ENCRYPTION_KEYS).toMatch(/^[A-Za-z0-9_-]+:[A-Za-z0-9+/=]+$/);
      expect(statSync(secretsFile).mode & 0o777).toBe(0o600);
      const key = secrets.BOOTSTRAP_ADMIN_KEY as string;
      // The banner's example runs as printed: its first line reads the generated key into the shell.
      const exportLine = /^ {2}export BOOTSTRAP_ADMIN_KEY=(.*)$/m.exec(first.output())?.[1];
      expect(exportLine).toBeDefined();
      expect(execFileSync("sh", ["-c", `printf %s ${exportLine}`], { encoding: "utf8" })).toBe(key);

      expect((await call(first, "/readyz")).json).toEqual({ status: "ok", checks: { postgres: "ok", redis: "ok" } });
      // The seeded tenant resolves: an unknown route under it is plain not_found.
      expectProblem(await call(first, "/t/default/nonexistent"), 404, "not_found");
      expectProblem(await call(first, "/t/unknown/nonexistent"), 404, "tenant_not_found");
      const created = await createTenant(
        first,
        JSON.stringify({ slug: "persisted", name: "Persisted" }),
        adminHeaders(key),
      );
      expect(created.status, created.text).toBe(201);
      expect(created.json.issuer).toBe(`http://localhost:${first.port}/t/persisted`);
      expect(await stop(first), first.output()).toMatchObject({ code: 0, signal: null });

      const second = await startNode(env);
      expect(second.output()).not.toContain("First start");
      expect(JSON.parse(readFileSync(secretsFile, "utf8"))).toEqual(secrets);
      expectProblem(await call(second, "/t/persisted/nonexistent"), 404, "not_found");
      expectProblem(
        await createTenant(second, JSON.stringify({ slug: "persisted", name: "Again" }), adminHeaders(key)),
        409,
        "tenant_exists",
      );
      expect(await stop(second), second.output()).toMatchObject({ code: 0, signal: null });
    },
    PROCESS_TEST_MS,
  );
});

describe("with a broken configuration", () => {
  const SECRET = "short-secret-value";
  let broken: NodeProcess;
  let exit: Exit;

  beforeAll(async () => {
    broken = await spawnNode({
      APP_ENV: "production",
      PUBLIC_URL: "not-a-url",
      BOOTSTRAP_ADMIN_KEY: SECRET,
      // Valid, so the bad variables are exactly PUBLIC_URL, BOOTSTRAP_ADMIN_KEY and the missing DATABASE_URL.
      REDIS_URL,
      ENCRYPTION_KEYS,
    });
    exit = await exitOf(broken);
  }, 30_000);

  it("exits non-zero with one message naming the bad variables, without the secret", async () => {
    const output = broken.output();
    expect(exit.code, output).not.toBe(0);
    expect(exit.code).not.toBeNull();
    expect(output.match(/Invalid configuration/g)).toHaveLength(1);
    expect(output).toMatch(/PUBLIC_URL: .+/);
    expect(output).toMatch(/BOOTSTRAP_ADMIN_KEY: .*32/);
    expect(output).not.toContain(SECRET);
    expect(output).not.toContain(ENCRYPTION_KEYS);
    expect(output).not.toContain('"event":"listening"');
    await expect(fetch(`${broken.base}/healthz`, { signal: AbortSignal.timeout(2_000) })).rejects.toThrow();
  });

  // Cross-variable rules are reported together with the field errors, in one message.
  it("names the missing DATABASE_URL in that same message", () => {
    expect(broken.output()).toMatch(/DATABASE_URL: .*required/);
  });

  it("refuses NODE_ENV=production without APP_ENV: non-zero exit, no development secrets made", async () => {
    const dataDir = tempDir("authority-node-env-");
    // Everything a development server needs, so APP_ENV is the one thing missing.
    const proc = await spawnNode({ NODE_ENV: "production", DATA_DIR: dataDir, REDIS_URL });
    const result = await exitOf(proc);
    const output = proc.output();
    expect(result.code, output).toBe(1);
    expect(output.match(/Invalid configuration/g)).toHaveLength(1);
    expect(output).toMatch(/APP_ENV: is required when NODE_ENV is "production".*APP_ENV=production/);
    expect(output).not.toContain('"event":"listening"');
    expect(existsSync(join(dataDir, "dev-secrets.json"))).toBe(false);
  }, 30_000);

  it("names DATABASE_URL and REDIS_URL when only they are missing in production", async () => {
    const proc = await spawnNode({
      APP_ENV: "production",
      PUBLIC_URL,
      BOOTSTRAP_ADMIN_KEY: ADMIN_KEY,
      ENCRYPTION_KEYS,
    });
    const result = await exitOf(proc);
    const output = proc.output();
    expect(result.code, output).toBe(1);
    expect(output.match(/Invalid configuration/g)).toHaveLength(1);
    expect(output).toMatch(/DATABASE_URL: .*required/);
    expect(output).toMatch(/REDIS_URL: .*required/);
    expect(output).not.toContain(ADMIN_KEY);
  }, 30_000);
});
