/**
 * The login throttle through a database or hasher outage, on real Redis:
 * the gate counts an attempt as failed when it lets it through, so an
 * attempt whose check then throws (the user lookup, the password hash, the
 * TOTP lookup) must be given back. Before, six right-password logins during
 * an outage answered 500 five times, then 429, and 429 went on once the
 * database was back; outages across networks locked the account (423).
 */
import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createNodeArgon2Hasher } from "../../src/adapters/passwords/node-argon2.js";
import { createPgDatabase } from "../../src/adapters/postgres/pg.js";
import { totpCode, totpStep } from "../../src/core/mfa/totp.js";
import { cryptoRandom } from "../../src/core/ports/clock.js";
import type { Database } from "../../src/core/ports/database.js";
import type { PasswordHasher } from "../../src/core/ports/password-hasher.js";
import { GOOD_PASSWORD, JSON_HEADERS, type TokenBody } from "../support/accounts.js";
import { startTestApp, TEST_ADMIN_KEY, type TestApp } from "../support/app.js";
import { pinnedClock } from "../support/key-ring.js";
import { createTestDatabase, type TestDatabase } from "../support/postgres.js";

const clock = pinnedClock(Date.UTC(2026, 10, 30, 8));
/** What is failing now. */
const down = { users: false, totp: false, hasher: false };
const outage = () => new Error("Connection terminated unexpectedly");

/** The real database, with the login's user lookup and the TOTP lookup failing while they are down. */
function failingLookups(db: Database): Database {
  const users = Object.create(db.users) as Database["users"];
  users.findByEmailIndex = (...args) => (down.users ? Promise.reject(outage()) : db.users.findByEmailIndex(...args));
  const totp = Object.create(db.totp) as Database["totp"];
  totp.findConfirmed = (...args) => (down.totp ? Promise.reject(outage()) : db.totp.findConfirmed(...args));
  return { ...db, users, totp };
}

/** argon2id, failing while down (a Worker isolate out of memory for the hash, say). */
function failingHasher(hasher: PasswordHasher): PasswordHasher {
  return {
    hash: (password) => hasher.hash(password),
    verify: (phc, password) =>
      down.hasher
        ? Promise.reject(new RangeError("WebAssembly.Memory(): could not allocate memory"))
        : hasher.verify(phc, password),
  };
}

let database: TestDatabase;
let t: TestApp;

beforeAll(async () => {
  database = await createTestDatabase();
  t = await startTestApp({
    clock,
    db: failingLookups(createPgDatabase(database.url, { max: 4 })),
    passwords: failingHasher(createNodeArgon2Hasher(cryptoRandom)),
  });
  const tenant = await post("/v1/admin/tenants", { slug: "outage", name: "outage" }, "198.51.100.1", TEST_ADMIN_KEY);
  expect(tenant.status).toBe(201);
});
afterEach(() => {
  Object.assign(down, { users: false, totp: false, hasher: false });
});
afterAll(async () => {
  await t?.close();
  await database?.drop();
});

function post(path: string, body: unknown, ip: string, bearer?: string) {
  const auth: Record<string, string> = bearer ? { Authorization: `Bearer ${bearer}` } : {};
  return t.app.request(path, {
    method: "POST",
    headers: { ...JSON_HEADERS, ...auth, "X-Test-Client-Ip": ip },
    body: JSON.stringify(body),
  });
}
const login = async (email: string, ip: string, password = GOOD_PASSWORD) =>
  (await post("/t/outage/v1/login", { email, password }, ip)).status;
const statuses = async (times: number, attempt: () => Promise<number>) => {
  const seen: number[] = [];
  for (let i = 0; i < times; i++) seen.push(await attempt());
  return seen;
};

async function signup(email: string): Promise<TokenBody & { user: { id: string } }> {
  const response = await post("/t/outage/v1/signup", { email, password: GOOD_PASSWORD }, "198.51.100.2");
  expect(response.status).toBe(201);
  return (await response.json()) as TokenBody & { user: { id: string } };
}

describe("an attempt whose check fails for another reason than the credential", () => {
  it("is not counted: the owner gets in once the database is back, and wrong passwords back off as before", async () => {
    await signup("lookup@example.com");
    down.users = true;
    expect(await statuses(6, () => login("lookup@example.com", "192.0.2.1"))).toEqual([500, 500, 500, 500, 500, 500]);
    down.users = false;
    expect(await login("lookup@example.com", "192.0.2.1")).toBe(200);
    expect(await statuses(6, () => login("lookup@example.com", "192.0.2.1", "wrong"))).toEqual([
      401, 401, 401, 401, 401, 429,
    ]);
  });

  it("does not lock the account across networks; as many wrong passwords still do", async () => {
    await signup("lock@example.com");
    const networks = ["203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.4"];
    down.users = true;
    for (const ip of networks)
      expect(await statuses(5, () => login("lock@example.com", ip))).toEqual(Array(5).fill(500));
    down.users = false;
    for (const ip of networks) {
      expect(await statuses(5, () => login("lock@example.com", ip, "wrong"))).toEqual(Array(5).fill(401));
    }
    expect(await login("lock@example.com", "203.0.113.99")).toBe(423);
  });

  it("is not counted at a password change when the hash cannot be checked", async () => {
    const { access_token } = await signup("change@example.com");
    const change = async () =>
      (
        await post(
          "/t/outage/v1/password/change",
          { current_password: GOOD_PASSWORD, new_password: "a brand new passphrase" },
          "192.0.2.7",
          access_token,
        )
      ).status;
    down.hasher = true;
    expect(await statuses(6, change)).toEqual([500, 500, 500, 500, 500, 500]);
    down.hasher = false;
    expect(await change()).toBe(204);
  });

  it("is not counted at the second factor when the authenticator cannot be read", async () => {
    const { user } = await signup("totp@example.com");
    const tenant = await t.services.tenants.require("outage");
    const record = await t.services.accounts.findUser(tenant, user.id);
    if (!record) throw new Error("no user");
    const enrollment = await t.services.mfa.enrollTotp(tenant, record);
    const secret = decodeBase32IgnorePadding(enrollment.secret);
    const first = totpCode(secret, totpStep(clock.now()) - 1);
    await t.services.mfa.confirmTotp(tenant, user.id, enrollment.id, first, "net");
    const challenge = await post(
      "/t/outage/v1/login",
      { email: "totp@example.com", password: GOOD_PASSWORD },
      "192.0.2.8",
    );
    const { mfa_token } = (await challenge.json()) as { mfa_token: string };
    const verify = async () =>
      (
        await post(
          "/t/outage/v1/mfa/verify",
          { mfa_token, type: "totp", code: totpCode(secret, totpStep(clock.now())) },
          "192.0.2.8",
        )
      ).status;
    down.totp = true;
    expect(await statuses(6, verify)).toEqual([500, 500, 500, 500, 500, 500]);
    down.totp = false;
    expect(await verify()).toBe(200);
  });
});
