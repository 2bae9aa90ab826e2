/**
 * Revocations and refreshes when one store fails half-way, on real Postgres
 * and Redis: a revocation that Redis or the ledger did not hear of must not
 * leave a session usable, and a retry must finish it; a refresh the ledger
 * holds as ended is refused; a ledger that hangs does not hold the answer
 * past the grace window.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StoreUnavailableError } from "../../src/core/errors.js";
import { sessionKeys } from "../../src/core/sessions/session-state.js";
import { decode } from "../support/accounts.js";
import { TEST_ADMIN_KEY } from "../support/app.js";
import { withFailingScript } from "../support/failing-store.js";
import { SINGLE_REDIS } from "../support/redis.js";
import { type SessionsApp, startSessionsApp } from "../support/sessions.js";

const DAY_MS = 86_400_000;
let s: SessionsApp;

beforeAll(async () => {
  // A short grace period so the bounded wait for the ledger is quick to see.
  s = await startSessionsApp(SINGLE_REDIS, { REFRESH_GRACE_PERIOD: "1s" });
});
afterAll(async () => {
  await s.close();
});

const revokeSessions = (userId: string) =>
  s.t.app.request(`/t/acme/v1/admin/users/${userId}/revoke-sessions`, {
    method: "POST",
    headers: { Authorization: `Bearer ${TEST_ADMIN_KEY}` },
  });

/** Makes the app's Redis script `name` fail while `during` runs. */
const failingScript = <T>(name: string, during: () => T | Promise<T>) => withFailingScript(s.t.deps.kv, name, during);

/** Makes the ledger's `method` fail while `during` runs. */
async function failingLedger<T>(method: "revoke" | "revokeMany", during: () => T | Promise<T>): Promise<T> {
  const sessions = s.t.services.db.sessions as unknown as Record<string, unknown>;
  const original = sessions[method];
  sessions[method] = () => Promise.reject(new Error("connection refused"));
  try {
    return await during();
  } finally {
    sessions[method] = original;
  }
}

/** Makes the ledger's `method` answer 300 ms late while `during` runs. */
async function slowLedger<T>(method: "liveIdsOfUser", during: () => T | Promise<T>): Promise<T> {
  const sessions = s.t.services.db.sessions as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  const original = sessions[method] as (...args: unknown[]) => Promise<unknown>;
  sessions[method] = async (...args) => {
    await new Promise((resolve) => setTimeout(resolve, 300));
    return original.apply(s.t.services.db.sessions, args);
  };
  try {
    return await during();
  } finally {
    sessions[method] = original;
  }
}

const revokedTtl = async (sessionId: string) => s.t.deps.kv.ttl(sessionKeys(sessionId)[2] ?? "");

describe("revocation when Redis fails half-way", () => {
  it("ends nothing in the ledger, so the retry finds the sessions and ends them everywhere", async () => {
    const user = await s.signup();
    const failed = await failingScript("revoke_session_state", () => revokeSessions(user.user.id));
    expect(failed.status).toBeGreaterThanOrEqual(500);
    // The retry an admin makes: answered 204 only with the sessions truly ended.
    expect((await revokeSessions(user.user.id)).status).toBe(204);
    await s.expectRevoked("acme", user.access_token);
    await s.expectInvalidGrant(await s.api.refresh("acme", user.refresh_token));
    expect((await s.sessionRow(user.session_id)).revoked_reason).toBe("admin");
  });
});

describe("user changes and logout when Redis fails half-way", () => {
  const deleteUser = (userId: string) =>
    s.t.app.request(`/t/acme/v1/admin/users/${userId}`, {
      method: "DELETE",
      headers: { Authorization: `Bearer ${TEST_ADMIN_KEY}` },
    });

  it("finishes a deletion whose version write failed when it is retried (answered 404)", async () => {
    const user = await s.signup();
    await s.refreshOk("acme", user.refresh_token).then((next) => Object.assign(user, next));
    const failed = await failingScript("raise_user_version", () => deleteUser(user.user.id));
    expect(failed.status).toBeGreaterThanOrEqual(500);
    expect((await deleteUser(user.user.id)).status).toBe(404);
    await s.expectInvalidGrant(await s.api.refresh("acme", user.refresh_token));
    expect((await s.api.me("acme", user.access_token)).status).toBe(401);
  });

  it("ends the sessions of a disabled user though the version write failed, before it answers", async () => {
    const user = await s.signup();
    // The version write fails at once while the ledger is slow: the answer still waits for the sessions' end.
    const failed = await slowLedger("liveIdsOfUser", () =>
      failingScript("raise_user_version", () =>
        s.t.app.request(`/t/acme/v1/admin/users/${user.user.id}`, {
          method: "PATCH",
          headers: { Authorization: `Bearer ${TEST_ADMIN_KEY}`, "Content-Type": "application/json" },
          body: JSON.stringify({ disabled: true }),
        }),
      ),
    );
    expect(failed.status).toBeGreaterThanOrEqual(500);
    await s.expectRevoked("acme", user.access_token);
    await s.expectInvalidGrant(await s.api.refresh("acme", user.refresh_token));
  });

  it("leaves a failed logout's access token usable for its retry, which ends the session", async () => {
    const user = await s.signup();
    const failed = await failingScript("revoke_session_state", () => s.api.logout("acme", user.access_token));
    expect(failed.status).toBeGreaterThanOrEqual(500);
    expect((await s.api.logout("acme", user.access_token)).status).toBe(204);
    await s.expectInvalidGrant(await s.api.refresh("acme", user.refresh_token));
  });
});

describe("revocation when the ledger fails after Redis", () => {
  it("leaves the sessions refused, held in Redis for a session's whole life, and a retry records them", async () => {
    const user = await s.signup();
    const failed = await failingLedger("revokeMany", () => revokeSessions(user.user.id));
    expect(failed.status).toBeGreaterThanOrEqual(500);
    await s.expectRevoked("acme", user.access_token);
    await s.expectInvalidGrant(await s.api.refresh("acme", user.refresh_token));
    // Not just the access tokens' day: the ledger still says live, so a short mark would let it back.
    expect(await revokedTtl(user.session_id)).toBeGreaterThan(30 * DAY_MS);
    expect((await s.sessionRow(user.session_id)).revoked_at).toBeNull();
    expect((await revokeSessions(user.user.id)).status).toBe(204);
    expect((await s.sessionRow(user.session_id)).revoked_reason).toBe("admin");
  });

  it("holds a logout Redis heard of but the ledger did not", async () => {
    const user = await s.signup();
    const failed = await failingLedger("revoke", () => s.api.logout("acme", user.access_token));
    expect(failed.status).toBeGreaterThanOrEqual(500);
    await s.expectInvalidGrant(await s.api.refresh("acme", user.refresh_token));
    expect(await revokedTtl(user.session_id)).toBeGreaterThan(30 * DAY_MS);
  });

  it("holds a reuse revocation the ledger did not hear of", async () => {
    const user = await s.signup();
    const next = await s.refreshOk("acme", user.refresh_token);
    s.clock.advance(2_000); // past the grace period
    const reused = await failingLedger("revoke", () => s.api.refresh("acme", user.refresh_token));
    expect(reused.status).toBeGreaterThanOrEqual(400);
    await s.expectInvalidGrant(await s.api.refresh("acme", next.refresh_token));
    expect(await revokedTtl(user.session_id)).toBeGreaterThan(30 * DAY_MS);
  });
});

describe("refresh against the ledger", () => {
  it("refuses a session the ledger holds as ended though Redis missed it, and ends it in Redis", async () => {
    const user = await s.signup();
    await s.db.query("UPDATE sessions SET revoked_at = now(), revoked_reason = 'admin' WHERE id = $1", [
      user.session_id,
    ]);
    expect((await s.api.me("acme", user.access_token)).status).toBe(200); // Redis still vouches
    await s.expectInvalidGrant(await s.api.refresh("acme", user.refresh_token));
    await s.expectRevoked("acme", user.access_token);
  });

  it("refuses a session the ledger does not hold (a restored older backup lost it), and ends it in Redis", async () => {
    const user = await s.signup();
    // What a restore of a backup taken before this login leaves: Redis knows the session, the ledger does not.
    await s.db.query("DELETE FROM sessions WHERE id = $1", [user.session_id]);
    await s.expectInvalidGrant(await s.api.refresh("acme", user.refresh_token));
    await s.expectRevoked("acme", user.access_token);
  });

  it("starts the grace window again when the answer fails after the rotation, so the retry is no reuse", async () => {
    const user = await s.signup();
    // The user's version is not in Redis: the refresh reads the user's row, which fails (Postgres down).
    const tenantId = (decode(user.access_token).claims as { tid: string }).tid;
    await s.t.deps.kv.del(`user-ver:${tenantId}:{${user.user.id}}`);
    const users = s.t.services.db.users;
    const findById = users.findById;
    users.findById = async () => {
      s.clock.advance(800); // the failure comes late in the grace period (1 s here)
      throw new StoreUnavailableError("postgres", new Error("Connection terminated"));
    };
    try {
      expect((await s.api.refresh("acme", user.refresh_token)).status).toBe(503);
    } finally {
      users.findById = findById;
    }
    s.clock.advance(500); // past the rotation's grace window, inside the one started at the failure
    const retried = await s.refreshOk("acme", user.refresh_token);
    expect(retried.session_id).toBe(user.session_id);
    expect((await s.api.me("acme", retried.access_token)).status).toBe(200);
  });

  it("answers within half the grace period when the ledger write hangs, with the gap on record", async () => {
    const user = await s.signup();
    const sessions = s.t.services.db.sessions;
    const recordRotations = sessions.recordRotations;
    sessions.recordRotations = () => new Promise(() => {});
    try {
      // Without the bound this waits forever (the test's timeout).
      const next = await s.refreshOk("acme", user.refresh_token);
      expect(next.session_id).toBe(user.session_id);
    } finally {
      sessions.recordRotations = recordRotations;
    }
    const line = s.logLines.map((l) => JSON.parse(l)).find((l) => l.event === "ledger_write_failed");
    expect(line).toMatchObject({ session_id: user.session_id, generation: 1 });
  });
});
