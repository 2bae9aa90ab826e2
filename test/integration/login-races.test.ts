/**
 * A login racing a change to its user, on real Postgres and Redis: the user
 * is disabled, deleted or given a new password after the login read it and
 * before its session exists. The change's revocation listed the user's
 * sessions before this one existed, so the login itself must not leave one.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appClient, GOOD_PASSWORD } from "../support/accounts.js";
import { startTestApp, TEST_ADMIN_KEY, type TestApp } from "../support/app.js";
import { expectProblem, readAnswer } from "../support/problem.js";

let t: TestApp;
let sql: pg.Client;
let users = 0;

beforeAll(async () => {
  t = await startTestApp();
  sql = new pg.Client({ connectionString: t.database.url });
  await sql.connect();
  await appClient(t).createTenant("race");
});
afterAll(async () => {
  await sql.end();
  await t.close();
});

async function signedUp(): Promise<{ id: string; email: string }> {
  const email = `race${++users}@example.com`;
  const response = await appClient(t).signup("race", email);
  expect(response.status).toBe(201);
  return { id: ((await response.json()) as { user: { id: string } }).user.id, email };
}

/** Runs `change` (committed) between the login's read of its user and the insert of its session. */
async function loginRacing(email: string, change: () => Promise<unknown>): Promise<Response> {
  const sessions = t.services.db.sessions;
  const create = sessions.create;
  sessions.create = async (session) => {
    sessions.create = create;
    await change();
    return create(session);
  };
  try {
    return await appClient(t).login("race", email);
  } finally {
    sessions.create = create;
  }
}

const liveSessions = async (userId: string) =>
  (await sql.query("SELECT id FROM sessions WHERE user_id = $1 AND revoked_at IS NULL", [userId])).rowCount;

const admin = (path: string, init: RequestInit) =>
  t.app.request(`/t/race/v1/admin/users/${path}`, {
    ...init,
    headers: { Authorization: `Bearer ${TEST_ADMIN_KEY}`, "Content-Type": "application/json" },
  });

describe("a login racing a change to its user", () => {
  it("leaves no session when the user is disabled meanwhile", async () => {
    const user = await signedUp();
    const before = await liveSessions(user.id);
    const answer = await loginRacing(user.email, async () => {
      expect((await admin(user.id, { method: "PATCH", body: JSON.stringify({ disabled: true }) })).status).toBe(200);
    });
    expectProblem(await readAnswer(answer), 403, "account_disabled");
    expect(await liveSessions(user.id)).toBe(0);
    expect(before).toBe(1); // the sign-up's, ended by the disable
  });

  it("leaves no session when the user is deleted meanwhile", async () => {
    const user = await signedUp();
    const answer = await loginRacing(user.email, async () => {
      expect((await admin(user.id, { method: "DELETE" })).status).toBe(204);
    });
    expectProblem(await readAnswer(answer), 401, "invalid_credentials");
    expect(await liveSessions(user.id)).toBe(0);
    // Nothing of the login is kept in a session row.
    const rows = await sql.query("SELECT ip, user_agent FROM sessions WHERE user_id = $1 AND ip IS NOT NULL", [
      user.id,
    ]);
    expect(rows.rowCount).toBe(0);
  });

  it("leaves no session for the old password when the password changes meanwhile", async () => {
    const user = await signedUp();
    const answer = await loginRacing(user.email, () =>
      sql.query("UPDATE users SET password_hash = $1, updated_at = now() WHERE id = $2", ["$argon2id$other", user.id]),
    );
    expectProblem(await readAnswer(answer), 401, "invalid_credentials");
    expect(await liveSessions(user.id)).toBe(1); // the sign-up's only
  });

  /** Gives the user a hash of its password with weaker parameters than today's, which its next login remakes. */
  async function weakHash(userId: string): Promise<string> {
    const { hash } = await import("@node-rs/argon2");
    const weak = await hash(GOOD_PASSWORD, { memoryCost: 4096, timeCost: 1, parallelism: 1 });
    await sql.query("UPDATE users SET password_hash = $1 WHERE id = $2", [weak, userId]);
    return weak;
  }
  const hashOf = async (userId: string) =>
    String((await sql.query("SELECT password_hash FROM users WHERE id = $1", [userId])).rows[0]?.password_hash);

  it("does not undo a password change with the remade hash of the old password", async () => {
    const user = await signedUp();
    await weakHash(user.id);
    const changed = "$argon2id$v=19$m=19456,t=2,p=1$changed$changed";
    // The change lands after the login verified the old password, before it stores the remade hash.
    const users = t.services.db.users;
    const upgrade = users.upgradePasswordHash;
    users.upgradePasswordHash = async (...args) => {
      await sql.query("UPDATE users SET password_hash = $1 WHERE id = $2", [changed, user.id]);
      return upgrade.apply(users, args);
    };
    try {
      expectProblem(await readAnswer(await appClient(t).login("race", user.email)), 401, "invalid_credentials");
    } finally {
      users.upgradePasswordHash = upgrade;
    }
    expect(await hashOf(user.id)).toBe(changed);
    expect(await liveSessions(user.id)).toBe(1); // the sign-up's only
  });

  it("lets concurrent logins that each remake the hash all in, and keeps one remade hash", async () => {
    const user = await signedUp();
    const weak = await weakHash(user.id);
    const answers = await Promise.all(Array.from({ length: 4 }, () => appClient(t).login("race", user.email)));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    const now = await hashOf(user.id);
    expect(now).not.toBe(weak);
    expect(now).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect((await appClient(t).login("race", user.email)).status).toBe(200);
  });
});
