/**
 * `cli.js reencrypt` of the Node build on real databases: it reseals under
 * the new first key, reports what no configured key opens and every address
 * two accounts hold (going on past them), and when the database itself
 * fails it names the row, never the query's parameters.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { migratePostgres } from "../../src/adapters/postgres/migrate-pg.js";
import { createPgDatabase } from "../../src/adapters/postgres/pg.js";
import { EMAIL_INDEX_PURPOSE, emailContext } from "../../src/core/accounts/user-rows.js";
import { Sealer } from "../../src/core/crypto/sealing.js";
import { totpSecretContext } from "../../src/core/mfa/mfa.js";
import { cryptoRandom } from "../../src/core/ports/clock.js";
import { MIGRATIONS_FOLDER } from "../../src/entry/node-deps.js";
import { seedTenant } from "../contract/seed.js";
import { createTestDatabase, rowReader } from "../support/postgres.js";
import { ADMIN_KEY, ENCRYPTION_KEYS, ENTRY, PUBLIC_URL } from "../support/runtime-node.js";

const CLI = join(ENTRY, "..", "cli.js");

type CliRun = { code: number | null; output: string; stdout: string; stderr: string };

/** The command on a database of the test's own (no Redis: reencrypt needs none). */
function cliWith(env: { DATABASE_URL: string; ENCRYPTION_KEYS: string }, ...args: string[]): Promise<CliRun> {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: {
      PATH: process.env.PATH ?? "",
      APP_ENV: "test",
      PUBLIC_URL,
      BOOTSTRAP_ADMIN_KEY: ADMIN_KEY,
      MIGRATE_ON_START: "false",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) =>
    child.once("close", (code) => resolve({ code, output: stdout + stderr, stdout, stderr })),
  );
}

beforeAll(() => {
  expect(existsSync(CLI), `${CLI} is missing: run npm run build`).toBe(true);
});

describe("cli.js reencrypt", () => {
  it("reencrypt reseals under the new first key, reporting what no configured key opens", async () => {
    // A database of its own: the other tests' rows hold placeholders, not sealed values.
    const own = await createTestDatabase();
    await migratePostgres(own.url, MIGRATIONS_FOLDER);
    const db = createPgDatabase(own.url, { max: 1 });
    try {
      const now = new Date();
      const [oldId = "", oldBase64 = ""] = ENCRYPTION_KEYS.split(":");
      const oldKey = { id: oldId, key: new Uint8Array(Buffer.from(oldBase64, "base64")) };
      const newKey = { id: "k2", key: new Uint8Array(randomBytes(32)) };
      const env = {
        DATABASE_URL: own.url,
        ENCRYPTION_KEYS: `k2:${Buffer.from(newKey.key).toString("base64")},${ENCRYPTION_KEYS}`,
      };
      const sealer = await Sealer.create([oldKey], cryptoRandom);
      const tenantId = await seedTenant(db, "rekey", now);
      const user = async (address: string) => {
        const id = crypto.randomUUID();
        await db.users.createIfAbsent({
          id,
          tenantId,
          emailIndex: await sealer.blindIndex(address, EMAIL_INDEX_PURPOSE),
          emailSealed: await sealer.seal(address, emailContext(tenantId, id)),
          nameSealed: null,
          emailVerified: true,
          passwordHash: null,
          scopes: [],
          now,
        });
        return id;
      };
      const userId = await user("ada@example.com");
      const other = await user("bob@example.com");
      const kept = crypto.randomUUID();
      const secretSealed = await sealer.seal("c2VjcmV0", totpSecretContext(tenantId, kept));
      await db.totp.createPending({ id: kept, tenantId, userId, secretSealed, now });
      // Another user's, sealed under a key dropped in an earlier rotation.
      const lost = crypto.randomUUID();
      await db.totp.createPending({
        id: lost,
        tenantId,
        userId: other,
        secretSealed: "s1.k0.AAAAAAAAAAAAAAAA.AAAA",
        now,
      });

      const first = await cliWith(env, "reencrypt");
      expect(first.code, first.output).toBe(1);
      expect(first.output).toContain("resealed 2 user(s), 0 signing key(s), 1 TOTP secret(s)");
      expect(first.output).toContain("0 skipped (changed meanwhile: run again), 1 unreadable");
      expect(first.output).toContain(lost);

      await db.totp.remove(tenantId, other, lost, now);
      const second = await cliWith(env, "reencrypt");
      expect(second.code, second.output).toBe(0);
      expect(second.output).toContain("resealed 0 user(s), 0 signing key(s), 0 TOTP secret(s)");
      expect(second.output).toContain("0 skipped (changed meanwhile: run again), 0 unreadable");

      // The old key dropped: the secret opens under the new one alone.
      const row = await db.totp.find(tenantId, userId, kept);
      const onlyNew = await Sealer.create([newKey], cryptoRandom);
      expect(await onlyNew.open(row?.secretSealed ?? "", totpSecretContext(tenantId, kept))).toBe("c2VjcmV0");
    } finally {
      await db.close();
      await own.drop();
    }
  });

  it("reencrypt names two accounts of one address and goes on; a database error stops it naming the row, without query parameters", async () => {
    const own = await createTestDatabase();
    await migratePostgres(own.url, MIGRATIONS_FOLDER);
    const db = createPgDatabase(own.url, { max: 1 });
    const reader = await rowReader(own.url);
    try {
      const now = new Date();
      const [oldId = "", oldBase64 = ""] = ENCRYPTION_KEYS.split(":");
      const oldKey = { id: oldId, key: new Uint8Array(Buffer.from(oldBase64, "base64")) };
      const newKey = { id: "k2", key: new Uint8Array(randomBytes(32)) };
      const env = {
        DATABASE_URL: own.url,
        ENCRYPTION_KEYS: `k2:${Buffer.from(newKey.key).toString("base64")},${ENCRYPTION_KEYS}`,
      };
      const before = await Sealer.create([oldKey], cryptoRandom);
      const after = await Sealer.create([newKey, oldKey], cryptoRandom);
      const tenantId = await seedTenant(db, "twins", now);
      const user = async (sealer: Sealer, address: string, at: Date) => {
        const id = crypto.randomUUID();
        await db.users.createIfAbsent({
          id,
          tenantId,
          emailIndex: await sealer.blindIndex(address, EMAIL_INDEX_PURPOSE),
          emailSealed: await sealer.seal(address, emailContext(tenantId, id)),
          nameSealed: null,
          emailVerified: true,
          passwordHash: null,
          scopes: [],
          now: at,
        });
        return id;
      };
      // One address, two accounts: one by a replica still sealing under k1, one by a replica already on k2.
      const old = await user(before, "ada@example.com", new Date(now.getTime() - 1_000));
      const twin = await user(after, "ada@example.com", now);
      const bob = await user(before, "bob@example.com", now);
      const totp = crypto.randomUUID();
      const secretSealed = await before.seal("c2VjcmV0", totpSecretContext(tenantId, totp));
      await db.totp.createPending({ id: totp, tenantId, userId: bob, secretSealed, now });

      const first = await cliWith(env, "reencrypt");
      expect(first.code, first.output).toBe(1);
      expect(first.output).toContain("resealed 1 user(s), 0 signing key(s), 1 TOTP secret(s)");
      expect(first.output).toContain("0 unreadable (no configured key opens them: see the log), 1 duplicate(s)");
      const line = first.output.split("\n").find((l) => l.includes('"event":"reencryption_duplicate"'));
      expect(JSON.parse(line ?? "{}")).toMatchObject({
        level: "error",
        tenant_id: tenantId,
        user_id: old,
        other_user_id: twin,
      });
      expect(first.output).not.toContain("params:");
      expect(first.output).not.toContain("ada@example.com");

      // A failure of the database itself ends the pass: the row is named, the parameters (a sealed key) are not.
      const [{ id: keyId = "" } = {}] = await reader.rows(
        "INSERT INTO signing_keys (id, tenant_id, kid, alg, state, public_jwk, private_key_sealed, created_at, updated_at) " +
          "VALUES (gen_random_uuid(), $1, 'old', 'ES256', 'retired', '{}', $2, now(), now()) RETURNING id",
        [tenantId, "s1.k1.placeholder"],
      );
      const context = `signing_keys.private_key:${tenantId}:${keyId}`;
      const sealedKey = await before.seal('{"d":"private"}', context);
      await reader.rows("UPDATE signing_keys SET private_key_sealed = $1 WHERE id = $2", [sealedKey, keyId]);
      await reader.rows(
        "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'signing keys are read-only here'; END $$",
      );
      await reader.rows("CREATE TRIGGER refuse BEFORE UPDATE ON signing_keys FOR EACH ROW EXECUTE FUNCTION refuse()");
      const stopped = await cliWith(env, "reencrypt");
      expect(stopped.code, stopped.output).toBe(1);
      expect(stopped.stderr).toContain(
        `Failed: re-encryption stopped at signingKeys ${keyId}: signing keys are read-only here (P0001)`,
      );
      expect(stopped.output).not.toContain("params:");
      expect(stopped.output).not.toContain("s1.k2.");
    } finally {
      await reader.close();
      await db.close();
      await own.drop();
    }
  });
});
