/**
 * The built Node server and CLI on data sealed under a key ENCRYPTION_KEYS
 * no longer lists (dropped before the re-encryption pass), or under a key
 * whose id was given to another: they must refuse, naming the key id and
 * the tables, instead of serving blind (no address found: every login
 * failing, a sign-up making a second account of an address).
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GOOD_PASSWORD, JSON_HEADERS } from "../support/accounts.js";
import { createTestDatabase, type TestDatabase } from "../support/postgres.js";
import { deletePrefix, testPrefix } from "../support/redis.js";
import {
  call,
  cleanupNodes,
  ENCRYPTION_KEYS,
  ENTRY,
  exitOf,
  PROCESS_TEST_MS,
  serverEnv,
  spawnNode,
  startNode,
  stop,
} from "../support/runtime-node.js";

const CLI = join(ENTRY, "..", "cli.js");
const newKey = `k2:${randomBytes(32).toString("base64")}`;
/** k1's id with other bytes: what a mistyped or regenerated key looks like. */
const impostor = `k1:${randomBytes(32).toString("base64")}`;

let database: TestDatabase;
const prefix = testPrefix();
const env = (keys: string) => serverEnv(database.url, prefix, { ENCRYPTION_KEYS: keys });

function cli(keys: string, ...args: string[]): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { PATH: process.env.PATH ?? "", ...env(keys), MIGRATE_ON_START: "false" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve) => child.once("close", (code) => resolve({ code, output })));
}

const login = (base: string) =>
  fetch(`${base}/t/default/v1/login`, {
    method: "POST",
    headers: JSON_HEADERS,
    body: JSON.stringify({ email: "ada@example.com", password: GOOD_PASSWORD }),
  });

beforeAll(async () => {
  database = await createTestDatabase();
  // The default tenant, its signing keys and a user, all sealed under k1.
  const first = await startNode(env(ENCRYPTION_KEYS));
  const signup = await call(first, "/t/default/v1/signup", {
    method: "POST",
    headers: JSON_HEADERS,
    body: JSON.stringify({ email: "ada@example.com", password: GOOD_PASSWORD }),
  });
  expect(signup.status, signup.text).toBe(201);
  await stop(first);
}, 60_000);

afterAll(async () => {
  await cleanupNodes();
  await deletePrefix(prefix);
  await database?.drop();
}, 30_000);

describe("ENCRYPTION_KEYS that cannot open the data", () => {
  it(
    "without the key the data is sealed under: the server exits 1 naming the key id and the tables",
    async () => {
      const blind = await spawnNode(env(newKey));
      const exit = await exitOf(blind);
      const output = blind.output();
      expect(exit, output).toMatchObject({ code: 1 });
      expect(output).toContain('Values in signing_keys, users are sealed under the key id(s) "k1"');
      expect(output).toContain("Put each of those keys back in ENCRYPTION_KEYS");
      const logged = output
        .split("\n")
        .filter((line) => line.startsWith("{"))
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .find((entry) => entry.event === "encryption_keys_unusable");
      expect(logged).toMatchObject({ level: "error", missing_key_ids: ["k1"], tables: "signing_keys, users" });
      expect(output).not.toContain('"event":"listening"');
    },
    PROCESS_TEST_MS,
  );

  it(
    "with another key under the key's id: the server exits 1 saying so",
    async () => {
      const wrong = await spawnNode(env(`${newKey},${impostor}`));
      expect(await exitOf(wrong), wrong.output()).toMatchObject({ code: 1 });
      expect(wrong.output()).toContain('The key(s) listed as "k1" do not open the values sealed under those ids');
    },
    PROCESS_TEST_MS,
  );

  it(
    "the CLI commands that open sealed data refuse too; cleanup runs, reencrypt says why before its pass",
    async () => {
      const rotate = await cli(newKey, "rotate-keys");
      expect(rotate.code, rotate.output).toBe(1);
      expect(rotate.output).toContain('sealed under the key id(s) "k1"');
      expect(rotate.output).not.toContain("rotated the keys");
      const list = await cli(newKey, "list-users", "--tenant", "default");
      expect(list.code, list.output).toBe(1);
      expect(list.output).toContain('sealed under the key id(s) "k1"');
      expect(list.output).not.toContain("ada@example.com");
      const reencrypt = await cli(newKey, "reencrypt");
      expect(reencrypt.code, reencrypt.output).toBe(1);
      expect(reencrypt.output).toContain('sealed under the key id(s) "k1"');
      expect(reencrypt.output).toMatch(/[1-9]\d* unreadable/);
      expect(await cli(newKey, "cleanup")).toMatchObject({ code: 0 });
    },
    PROCESS_TEST_MS,
  );

  it(
    "with the key listed after a new one: the server serves, and the user logs in",
    async () => {
      const both = await startNode(env(`${newKey},${ENCRYPTION_KEYS}`));
      expect((await login(both.base)).status).toBe(200);
      await stop(both);
    },
    PROCESS_TEST_MS,
  );
});
