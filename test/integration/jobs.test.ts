import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/adapters/telemetry/console-logger.js";
import type { EncryptionKey } from "../../src/core/crypto/sealing.js";
import { Sealer } from "../../src/core/crypto/sealing.js";
import { dailyCleanup, rotateDueKeys } from "../../src/core/jobs.js";
import { cryptoRandom } from "../../src/core/ports/clock.js";
import { reencryptAll } from "../../src/core/reencryption.js";
import { createApp } from "../../src/http/app.js";
import { buildServices } from "../../src/http/services.js";
import { appClient, GOOD_PASSWORD, type TokenBody } from "../support/accounts.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { recordingLogger } from "../support/recorders.js";

const key = (id: string): EncryptionKey => ({ id, key: crypto.getRandomValues(new Uint8Array(32)) });
const oldKey = key("old");
const newKey = key("new");

let t: TestApp;
let sql: pg.Client;

beforeAll(async () => {
  t = await startTestApp({ sealer: await Sealer.create([oldKey], cryptoRandom) });
  sql = new pg.Client({ connectionString: t.database.url });
  await sql.connect();
});
afterAll(async () => {
  await sql.end();
  await t.close();
});

/** The same database and Redis, served with other encryption keys. */
async function appWith(keys: EncryptionKey[]) {
  const deps = { ...t.deps, sealer: await Sealer.create(keys, cryptoRandom) };
  return { deps, api: appClient({ ...t, app: createApp(deps) }) };
}

describe("re-encryption under a new key-encryption key", () => {
  it("keeps the service working before, during and after the pass", async () => {
    const before = appClient(t);
    await before.createTenant("sealed");
    const signup = (await (await before.signup("sealed", "Zoe@Example.com", GOOD_PASSWORD, "Zoë")).json()) as TokenBody;

    // New key first, old key still listed: old rows open, old indexes are found.
    const during = await appWith([newKey, oldKey]);
    expect((await during.api.login("sealed", "zoe@example.com")).status).toBe(200);
    expect(await (await during.api.me("sealed", signup.access_token)).json()).toMatchObject({ name: "Zoë" });
    // A new user meanwhile is sealed under the new key at once.
    expect((await during.api.signup("sealed", "yan@example.com")).status).toBe(201);

    const done = await reencryptAll(during.deps.db, during.deps.sealer, silentLogger, new Date());
    expect(done.users).toBe(1);
    expect(done.signingKeys).toBeGreaterThanOrEqual(2);
    expect(done.skipped).toBe(0);
    expect(await reencryptAll(during.deps.db, during.deps.sealer, silentLogger, new Date())).toEqual({
      users: 0,
      signingKeys: 0,
      totpSecrets: 0,
      oauthProviders: 0,
      samlConnections: 0,
      identityProfiles: 0,
      accountTokens: 0,
      skipped: 0,
      unreadable: 0,
      duplicates: 0,
    });

    const { rows } = await sql.query("select email_index, email_sealed, name_sealed from users");
    for (const row of rows) {
      expect(row.email_index).toMatch(/^new:/);
      expect(row.email_sealed).toMatch(/^s1\.new\./);
    }
    const keys = await sql.query("select private_key_sealed from signing_keys");
    for (const row of keys.rows) expect(row.private_key_sealed).toMatch(/^s1\.new\./);

    // The old key can now be removed.
    const after = await appWith([newKey]);
    const login = await after.api.login("sealed", "ZOE@example.com");
    expect(login.status).toBe(200);
    const token = ((await login.json()) as TokenBody).access_token;
    expect(await (await after.api.me("sealed", token)).json()).toMatchObject({ email: "Zoe@example.com", name: "Zoë" });
    expect((await after.api.signup("sealed", "zoe@EXAMPLE.com")).status).toBe(409);
  });
});

describe("scheduled key rotation", () => {
  it("rotates only the tenants whose keys are due", async () => {
    const services = buildServices(t.deps);
    const api = appClient(t);
    await api.createTenant("due-1");
    await api.createTenant("due-2");
    expect(await rotateDueKeys(t.deps.db, services.keyRing, silentLogger)).toBe(0);
    await sql.query(
      "update signing_keys set activated_at = now() - interval '31 days', created_at = now() - interval '31 days' where tenant_id = (select id from tenants where slug = 'due-1')",
    );
    expect(await rotateDueKeys(t.deps.db, services.keyRing, silentLogger)).toBe(1);
    expect(await rotateDueKeys(t.deps.db, services.keyRing, silentLogger)).toBe(0);
    const { rows } = await sql.query(
      "select t.slug, count(*) filter (where k.state = 'retired')::int as retired from signing_keys k join tenants t on t.id = k.tenant_id where t.slug like 'due-%' group by t.slug order by t.slug",
    );
    expect(rows).toEqual([
      { slug: "due-1", retired: 1 },
      { slug: "due-2", retired: 0 },
    ]);
  });
});

type Signup = TokenBody & { user: { id: string } };

describe("daily cleanup", () => {
  it("erases the users an earlier release deleted without erasing them, and says how many", async () => {
    const api = appClient(t);
    await api.createTenant("rolled");
    const signup = (await (await api.signup("rolled", "old@example.com", GOOD_PASSWORD, "Old")).json()) as Signup;
    const kept = (await (await api.signup("rolled", "kept@example.com", GOOD_PASSWORD, "Kept")).json()) as Signup;
    // A replica of the release before erasure deletes by setting deleted_at alone.
    const deletedAt = new Date(Date.now() - 60_000);
    await sql.query("update users set deleted_at = $2 where id = $1", [signup.user.id, deletedAt]);
    const retention = { sessions: 30 * 86_400_000, auditEvents: 365 * 86_400_000 };

    const { logger, lines } = recordingLogger();
    expect(await dailyCleanup(t.deps.db, new Date(), retention, logger)).toMatchObject({ erasedUsers: 1 });
    expect(lines.find((line) => line.event === "deleted_users_erased")?.fields).toEqual({ erased: 1 });
    const { rows } = await sql.query(
      "select id, email_sealed = '' as erased, password_hash is null as no_hash, deleted_at from users where id = any($1) order by email_sealed = ''",
      [[signup.user.id, kept.user.id]],
    );
    expect(rows).toEqual([
      { id: kept.user.id, erased: false, no_hash: false, deleted_at: null },
      { id: signup.user.id, erased: true, no_hash: true, deleted_at: deletedAt },
    ]);
    const ips = await sql.query("select count(*)::int as n from sessions where user_id = $1 and ip is not null", [
      signup.user.id,
    ]);
    expect(ips.rows).toEqual([{ n: 0 }]);

    expect(await dailyCleanup(t.deps.db, new Date(), retention, logger)).toMatchObject({ erasedUsers: 0 });
  });
});
