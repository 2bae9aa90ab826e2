/**
 * TOTP enrollments on real Postgres and Redis: one started again and again
 * keeps one pending row and no earlier secret, a removed pending one leaves
 * no row, and the daily cleanup deletes the abandoned enrollments an earlier
 * release kept (soft-deleted with their secrets), in bounded batches.
 */
import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import { generateHOTP } from "@oslojs/otp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dailyCleanup } from "../../src/core/jobs.js";
import type { Tenant } from "../../src/core/ports/database.js";
import { JSON_HEADERS, type TokenBody } from "../support/accounts.js";
import { type SessionsApp, startSessionsApp } from "../support/sessions.js";

type User = TokenBody & { user: { id: string } };

let s: SessionsApp;
let tenant: Tenant;
beforeAll(async () => {
  s = await startSessionsApp();
  await s.api.createTenant("enroll");
  tenant = (await s.t.deps.db.tenants.findBySlug("enroll")) as Tenant;
});
afterAll(async () => {
  await s.close();
});

const call = (token: string, method: string, path: string, body?: unknown) =>
  s.t.app.request(`/t/enroll/v1${path}`, {
    method,
    headers: { ...JSON_HEADERS, Authorization: `Bearer ${token}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

describe("TOTP enrollments", () => {
  const rowsOf = async (userId: string) =>
    (
      await s.db.query(
        "SELECT id, secret_sealed, confirmed_at IS NOT NULL AS confirmed, deleted_at IS NOT NULL AS removed FROM mfa_totp WHERE user_id = $1",
        [userId],
      )
    ).rows as { id: string; secret_sealed: string; confirmed: boolean; removed: boolean }[];

  it("keeps one pending row however often an enrollment starts again, and no earlier secret", async () => {
    const user: User = await s.signup("enroll");
    const started: { id: string; secret: string }[] = [];
    for (let i = 0; i < 20; i++) {
      const response = await call(user.access_token, "POST", "/mfa/totp");
      expect(response.status).toBe(201);
      started.push((await response.json()) as { id: string; secret: string });
    }
    const last = started.at(-1) as { id: string; secret: string };
    const rows = await rowsOf(user.user.id);
    expect(rows.map(({ id, confirmed, removed }) => ({ id, confirmed, removed }))).toEqual([
      { id: last.id, confirmed: false, removed: false },
    ]);
    const sealed = rows[0]?.secret_sealed ?? "";
    expect(await s.t.deps.sealer.open(sealed, `mfa_totp.secret:${tenant.id}:${last.id}`)).toEqual(
      Buffer.from(decodeBase32IgnorePadding(last.secret)).toString("base64url"),
    );
    // An earlier enrollment is gone; the last one confirms.
    const code = generateHOTP(
      decodeBase32IgnorePadding(last.secret),
      BigInt(Math.floor(s.clock.now().getTime() / 30_000)),
      6,
    );
    expect((await call(user.access_token, "POST", `/mfa/totp/${started[0]?.id}/confirm`, { code })).status).toBe(404);
    expect((await call(user.access_token, "POST", `/mfa/totp/${last.id}/confirm`, { code })).status).toBe(200);
  });

  it("deletes a pending enrollment removed by its user, with its secret", async () => {
    const user: User = await s.signup("enroll");
    const { id } = (await (await call(user.access_token, "POST", "/mfa/totp")).json()) as { id: string };
    expect((await call(user.access_token, "DELETE", `/mfa/factors/${id}`)).status).toBe(204);
    expect(await rowsOf(user.user.id)).toEqual([]);
  });

  it("has the daily cleanup delete the abandoned enrollments an earlier release kept, in bounded batches", async () => {
    const user: User = await s.signup("enroll");
    const pending = (await (await call(user.access_token, "POST", "/mfa/totp")).json()) as { id: string };
    // What an earlier release left: every restarted enrollment soft-deleted with its secret.
    await s.db.query(
      `INSERT INTO mfa_totp (id, tenant_id, user_id, secret_sealed, created_at, updated_at, deleted_at)
       SELECT gen_random_uuid(), $1, $2, 'k1:old-secret', now(), now(), now() FROM generate_series(1, 2500)`,
      [tenant.id, user.user.id],
    );
    const batches: number[] = [];
    const purge = s.t.deps.db.totp.purgeAbandoned.bind(s.t.deps.db.totp);
    s.t.deps.db.totp.purgeAbandoned = async (limit) => {
      const purged = await purge(limit);
      batches.push(purged);
      expect(purged).toBeLessThanOrEqual(limit);
      return purged;
    };
    const lines: string[] = [];
    const logger = { info: (event: string) => lines.push(event), warn: () => {}, error: () => {} };
    const retention = { sessions: 30 * 86_400_000, auditEvents: 365 * 86_400_000 };
    const result = await dailyCleanup(s.t.deps.db, s.clock.now(), retention, logger);
    expect(result.abandonedTotp).toBe(2500);
    expect(batches).toEqual([1000, 1000, 500]);
    expect(lines).toContain("abandoned_totp_purged");
    expect(await rowsOf(user.user.id)).toEqual([
      expect.objectContaining({ id: pending.id, confirmed: false, removed: false }),
    ]);
    expect((await dailyCleanup(s.t.deps.db, s.clock.now(), retention, logger)).abandonedTotp).toBe(0);
  });
});
