/**
 * Ending every session of a user holding far more sessions than one statement
 * may name (Postgres takes 65,535 parameters): the revocation goes a page at
 * a time, and every session ends in Redis and in the ledger.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { TEST_ADMIN_KEY } from "../support/app.js";
import { SINGLE_REDIS } from "../support/redis.js";
import { type SessionsApp, startSessionsApp } from "../support/sessions.js";

let s: SessionsApp;

beforeAll(async () => {
  s = await startSessionsApp(SINGLE_REDIS);
});
afterAll(async () => {
  await s.close();
});

/** Copies of the session's ledger row, as many more logins would have made. */
async function copySession(sessionId: string, copies: number): Promise<void> {
  await s.db.query(
    `INSERT INTO sessions
       SELECT (jsonb_populate_record(null::sessions,
         to_jsonb(original) || jsonb_build_object('id', gen_random_uuid(), 'refresh_hash', md5(random()::text)))).*
       FROM sessions AS original, generate_series(1, $2) WHERE original.id = $1`,
    [sessionId, copies],
  );
}

const liveOf = async (userId: string) =>
  (await s.db.query("SELECT count(*)::int AS n FROM sessions WHERE user_id = $1 AND revoked_at IS NULL", [userId]))
    .rows[0].n as number;

it("ends 65,601 sessions of one user, a page at a time, in Redis and the ledger", async () => {
  const user = await s.signup();
  await copySession(user.session_id, 65_600);
  expect(await liveOf(user.user.id)).toBe(65_601);
  const revoked = await s.t.app.request(`/t/acme/v1/admin/users/${user.user.id}/revoke-sessions`, {
    method: "POST",
    headers: { Authorization: `Bearer ${TEST_ADMIN_KEY}` },
  });
  expect(revoked.status, await revoked.clone().text()).toBe(204);
  expect(await liveOf(user.user.id)).toBe(0);
  await s.expectRevoked("acme", user.access_token);
  await s.expectInvalidGrant(await s.api.refresh("acme", user.refresh_token));
  const line = s.logLines.map((l) => JSON.parse(l)).find((l) => l.event === "sessions_revoked_of_user");
  expect(line).toMatchObject({ user_id: user.user.id, count: 65_601 });
}, 120_000);
