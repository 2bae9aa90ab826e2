/**
 * An ENCRYPTION_KEYS rotation as docs/operations.md orders it, seen from two
 * replicas on one database during each rollout: one still on the previous
 * list, one on the next. In every adjacent pair of lists an address makes
 * one account whichever replica is asked, even when both are asked at
 * once (or an email change moves an account to it meanwhile), and each replica opens what the other sealed (the user, its
 * tokens' signing key).
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/adapters/telemetry/console-logger.js";
import { type EncryptionKey, Sealer } from "../../src/core/crypto/sealing.js";
import { cryptoRandom } from "../../src/core/ports/clock.js";
import type { MailMessage } from "../../src/core/ports/mail.js";
import { reencryptAll } from "../../src/core/reencryption.js";
import { createApp } from "../../src/http/app.js";
import { buildServices } from "../../src/http/services.js";
import { client, JSON_HEADERS, type TokenBody } from "../support/accounts.js";
import { startTestApp, TEST_ADMIN_KEY, type TestApp } from "../support/app.js";
import { expectProblem, readAnswer } from "../support/problem.js";
import { linkToken } from "../support/smtp-server.js";

const key = (id: string): EncryptionKey => ({ id, key: crypto.getRandomValues(new Uint8Array(32)) });
const k2 = key("k2");
const k3 = key("k3");
const admin = { Authorization: `Bearer ${TEST_ADMIN_KEY}`, ...JSON_HEADERS };

let t: TestApp;
let sql: pg.Client;

beforeAll(async () => {
  t = await startTestApp({ sealer: await Sealer.create([k2], cryptoRandom) });
  sql = new pg.Client({ connectionString: t.database.url });
  await sql.connect();
});
afterAll(async () => {
  await sql.end();
  await t.close();
});

/** A replica: the same database and Redis, its own services, with this key list. */
async function replica(keys: EncryptionKey[], extra: Partial<typeof t.deps> = {}) {
  const deps = { ...t.deps, sealer: await Sealer.create(keys, cryptoRandom), ...extra };
  const app = createApp(deps, buildServices(deps));
  const request = (path: string, init?: RequestInit) => app.request(path, init);
  return { request, api: client(request) };
}
type Replica = Awaited<ReturnType<typeof replica>>;

const liveUsers = async (tenant: string) =>
  Number(
    (
      await sql.query(
        "SELECT count(*) AS n FROM users u JOIN tenants t ON t.id = u.tenant_id WHERE t.slug = $1 AND u.deleted_at IS NULL",
        [tenant],
      )
    ).rows[0].n,
  );

/** What must hold while `a` and `b` serve side by side. */
async function sideBySide(tenant: string, a: Replica, b: Replica) {
  await a.api.createTenant(tenant);
  for (const [first, second, name] of [
    [a, b, "ada"],
    [b, a, "bob"],
  ] as const) {
    const email = `${name}@example.com`;
    const made = await first.api.signup(tenant, email);
    expect(made.status).toBe(201);
    const { user } = (await made.json()) as { user: { id: string } };
    // The other replica finds the address, opens the row and signs with the tenant's key.
    expect((await second.api.signup(tenant, email)).status).toBe(409);
    expect((await second.api.login(tenant, email)).status).toBe(200);
    const read = await second.request(`/t/${tenant}/v1/admin/users/${user.id}`, { headers: admin });
    expect(read.status).toBe(200);
    expect(((await read.json()) as { email: string }).email).toBe(email);
    expect((await second.request(`/t/${tenant}/v1/admin/users`, { headers: admin })).status).toBe(200);
  }
  // Both asked at once, for several addresses: never two accounts of one.
  const addresses = Array.from({ length: 6 }, (_, i) => `twin${i}@example.com`);
  const answers = await Promise.all(
    addresses.flatMap((email) => [a.api.signup(tenant, email), b.api.signup(tenant, email)]),
  );
  for (const answer of answers) expect([201, 409]).toContain(answer.status);
  const created = answers.filter((answer) => answer.status === 201).length;
  expect(created).toBeLessThanOrEqual(addresses.length);
  expect(await liveUsers(tenant)).toBe(2 + created);
}

describe("an ENCRYPTION_KEYS rotation, replica by replica", () => {
  it("1. the new key added last: the old list beside it", async () => {
    await sideBySide("phase-one", await replica([k2]), await replica([k2, k3]));
  });

  it("2. the new key moved first: the list with it last beside it", async () => {
    await sideBySide("phase-two", await replica([k2, k3]), await replica([k3, k2]));
  });

  it("2. an email change confirmed on one replica as the address signs up on the other: one account", async () => {
    const tenant = "phase-two-change";
    const sent: MailMessage[] = [];
    const users = t.deps.db.users;
    let meanwhile: () => Promise<void> = async () => {};
    // The sign-up lands between the confirmation's check of the address and its move.
    const racing = Object.assign(Object.create(users), {
      replaceEmail: async (...args: Parameters<typeof users.replaceEmail>) => {
        await meanwhile();
        return users.replaceEmail(...args);
      },
    }) as typeof users;
    const oldList = await replica([k2, k3]);
    const newList = await replica([k3, k2], {
      mailer: { send: async (mail) => void sent.push(mail) },
      db: { ...t.deps.db, users: racing },
    });
    await oldList.api.createTenant(tenant);
    const mover = (await (await newList.api.signup(tenant, "mover@example.com")).json()) as TokenBody;
    expect((await newList.api.changeEmail(tenant, mover.access_token, "target@example.com")).status).toBe(202);
    await expect.poll(() => sent.find((mail) => mail.to === "target@example.com")).toBeDefined();
    const token = linkToken(sent.find((mail) => mail.to === "target@example.com") as MailMessage, "email/verify");
    meanwhile = async () => {
      meanwhile = async () => {};
      expect((await oldList.api.signup(tenant, "target@example.com")).status).toBe(201);
    };
    expectProblem(await readAnswer(await newList.api.verifyEmail(tenant, token)), 409, "email_taken");
    expect(await liveUsers(tenant)).toBe(2);
    expect((await newList.api.login(tenant, "mover@example.com")).status).toBe(200);
    expect((await oldList.api.login(tenant, "target@example.com")).status).toBe(200);
  });

  it("3. after the pass, the old key dropped: the list with it beside it", async () => {
    const done = await reencryptAll(t.deps.db, await Sealer.create([k3, k2], cryptoRandom), silentLogger, new Date());
    expect(done).toMatchObject({ skipped: 0, unreadable: 0, duplicates: 0 });
    await sideBySide("phase-three", await replica([k3, k2]), await replica([k3]));
  });
});
