/**
 * The audit trail on real Postgres and Redis: admin writes (stored before
 * their response), the security events API.md lists, filters and cursors,
 * compact rows, and no secret anywhere in the table.
 */

import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rotateDueKeys } from "../../src/core/jobs.js";
import { GOOD_PASSWORD, JSON_HEADERS, type TokenBody } from "../support/accounts.js";
import { TEST_ADMIN_KEY } from "../support/app.js";
import { expectProblem, readAnswer } from "../support/problem.js";
import { type SessionsApp, startSessionsApp } from "../support/sessions.js";

interface AuditEvent {
  id: string;
  at: string;
  action: string;
  actor: { type: string; id: string | null };
  target: { type: string | null; id: string | null };
  ip: string | null;
  request_id: string | null;
  details: Record<string, unknown>;
}

let s: SessionsApp;
let sql: pg.Client;
/** Every secret the tests handle, to look for in the table at the end. */
const secrets: string[] = [TEST_ADMIN_KEY, GOOD_PASSWORD];

beforeAll(async () => {
  s = await startSessionsApp();
  sql = new pg.Client({ connectionString: s.t.database.url });
  await sql.connect();
});
afterAll(async () => {
  await sql.end();
  await s.close();
});

const ADMIN = { Authorization: `Bearer ${TEST_ADMIN_KEY}`, ...JSON_HEADERS };
const request = (path: string, init: RequestInit & { ip?: string } = {}) =>
  s.t.app.request(path, {
    ...init,
    headers: { ...(init.headers as Record<string, string>), ...(init.ip ? { "X-Test-Client-Ip": init.ip } : {}) },
  });
/** The tenant's trail once the background writes (logins) have landed. */
async function events(
  query = "",
  tenant = "acme",
  auth = ADMIN,
): Promise<{ events: AuditEvent[]; next_cursor: string | null }> {
  await s.t.services.background.drain();
  const response = await request(`/t/${tenant}/v1/admin/audit-events${query}`, { headers: auth });
  expect(response.status, await response.clone().text()).toBe(200);
  return response.json();
}
const signup = async (ip = "192.0.2.10"): Promise<TokenBody & { user: { id: string } }> => {
  const response = await request("/t/acme/v1/signup", {
    method: "POST",
    headers: JSON_HEADERS,
    ip,
    body: JSON.stringify({ email: s.nextEmail(), password: GOOD_PASSWORD }),
  });
  expect(response.status).toBe(201);
  const body = (await response.json()) as TokenBody & { user: { id: string } };
  secrets.push(body.access_token, body.refresh_token);
  return body;
};
const login = (email: string, password: string, ip: string) =>
  request("/t/acme/v1/login", { method: "POST", headers: JSON_HEADERS, ip, body: JSON.stringify({ email, password }) });

describe("admin writes", () => {
  it("are in the trail when the response arrives, with actor, target, address, request id and harmless details", async () => {
    const user = await signup();
    const response = await request(`/t/acme/v1/admin/users/${user.user.id}`, {
      method: "PATCH",
      headers: { ...ADMIN, "X-Request-Id": "audit-patch-1" },
      ip: "203.0.113.9",
      body: JSON.stringify({ scopes: ["reports"], name: "Secret Name" }),
    });
    expect(response.status).toBe(200);
    // No waiting for background work: the entry was written before the answer.
    const rows = await sql.query(
      "SELECT action, actor_type, target_id, host(ip) AS ip, request_id, details FROM audit_events WHERE request_id = 'audit-patch-1'",
    );
    expect(rows.rows).toEqual([
      {
        action: "admin.users.update",
        actor_type: "bootstrap",
        target_id: user.user.id,
        ip: "203.0.113.9",
        request_id: "audit-patch-1",
        details: { fields: ["scopes", "name"], scopes: ["reports"] },
      },
    ]);
  });

  it("names creations by the created resource, verbs by their route, and skips refused writes", async () => {
    const created = await request("/v1/admin/tenants", {
      method: "POST",
      headers: ADMIN,
      body: JSON.stringify({ slug: "audited", name: "Audited" }),
    });
    const tenant = (await created.json()) as { id: string };
    s.clock.advance(1);
    const rotated = await request("/t/audited/v1/admin/signing-keys/rotate", { method: "POST", headers: ADMIN });
    expect(rotated.status).toBe(200);
    const refused = await request("/t/audited/v1/admin/redirect-uris", {
      method: "PUT",
      headers: ADMIN,
      body: JSON.stringify({ redirect_uris: ["not a uri"] }),
    });
    expect(refused.status).toBe(400);
    const trail = (await events("", "audited")).events;
    // The rotation's two entries share its instant; the tenant's creation came before.
    expect(
      trail
        .map((e) => e.action)
        .slice(0, 2)
        .sort(),
    ).toEqual(["admin.signing_keys.rotate", "signing_key.rotated"]);
    expect(trail.map((e) => e.action).slice(2)).toEqual(["admin.tenants.create"]);
    expect(trail.at(-1)).toMatchObject({
      target: { type: "tenant", id: tenant.id },
      actor: { type: "bootstrap", id: null },
    });
    expect(trail.at(-1)?.details).toEqual({ fields: ["slug", "name"], slug: "audited" });
  });
});

describe("security events", () => {
  it("records sign-up, logins that succeed and fail, lockouts, reuse, revocations, keys and rotations", async () => {
    const user = await signup("192.0.2.20");
    const email = s.lastEmail();
    expect((await login(email, GOOD_PASSWORD, "192.0.2.20")).status).toBe(200);
    expect((await login(email, "wrong password 1", "192.0.2.21")).status).toBe(401);
    expect((await login("nobody@example.com", "wrong password 2", "192.0.2.22")).status).toBe(401);
    for (let net = 1; net <= 4; net++) {
      for (let i = 0; i < 5; i++) await login(email, `guess ${net}-${i}`, `198.51.100.${net}`);
    }
    expect((await login(email, GOOD_PASSWORD, "198.51.100.77")).status).toBe(423);

    // Refresh-token reuse (after the grace window) revokes the session.
    const next = await s.refreshOk("acme", user.refresh_token);
    secrets.push(next.access_token, next.refresh_token);
    s.clock.advance(60_000);
    expect((await s.api.refresh("acme", user.refresh_token)).status).toBe(401);

    const other = await signup();
    const key = await request("/t/acme/v1/api-keys", {
      method: "POST",
      headers: { ...JSON_HEADERS, Authorization: `Bearer ${other.access_token}` },
      body: JSON.stringify({ name: "ci", scopes: [] }),
    });
    const created = (await key.json()) as { id: string; key: string };
    secrets.push(created.key);
    await request(`/t/acme/v1/api-keys/${created.id}`, {
      method: "DELETE",
      headers: { Authorization: `Bearer ${other.access_token}` },
    });
    expect((await s.api.logout("acme", other.access_token, { refresh_token: other.refresh_token })).status).toBe(204);
    s.clock.advance(40 * 86_400_000);
    await rotateDueKeys(s.t.services.db, s.t.services.keyRing, s.t.services.logger);

    const trail = (await events("?limit=100")).events;
    const of = (action: string) => trail.filter((e) => e.action === action);
    expect(of("user.signed_up").map((e) => e.target.id)).toEqual(expect.arrayContaining([user.user.id, other.user.id]));
    expect(of("login.succeeded")).toContainEqual(
      expect.objectContaining({
        actor: { type: "user", id: user.user.id },
        ip: "192.0.2.20",
        details: { method: "password" },
      }),
    );
    const failed = of("login.failed");
    expect(failed).toContainEqual(
      expect.objectContaining({ target: { type: "user", id: user.user.id }, ip: "192.0.2.21" }),
    );
    // An unknown address: the attempt, with nothing to name.
    expect(failed).toContainEqual(
      expect.objectContaining({
        actor: { type: "anonymous", id: null },
        target: { type: null, id: null },
        ip: "192.0.2.22",
      }),
    );
    expect(of("account.locked")).toEqual([
      expect.objectContaining({ target: { type: "user", id: user.user.id }, details: { lock_ms: 900_000 } }),
    ]);
    expect(of("session.refresh_token_reused")).toContainEqual(
      expect.objectContaining({ target: { type: "session", id: user.session_id } }),
    );
    expect(of("api_key.created")).toContainEqual(
      expect.objectContaining({
        actor: { type: "user", id: other.user.id },
        target: { type: "api_key", id: created.id },
      }),
    );
    expect(of("api_key.revoked")).toContainEqual(
      expect.objectContaining({ target: { type: "api_key", id: created.id } }),
    );
    expect(of("session.revoked")).toContainEqual(
      expect.objectContaining({ target: { type: "session", id: other.session_id }, details: { reason: "logout" } }),
    );
    expect(of("signing_key.rotated")).toContainEqual(
      expect.objectContaining({ actor: { type: "system", id: null }, request_id: null }),
    );
  });

  it("keeps a login's entry compact", async () => {
    const before = Number(
      (await sql.query("SELECT count(*) FROM audit_events WHERE action = 'login.succeeded'")).rows[0].count,
    );
    await signup();
    for (let i = 0; i < 20; i++) expect((await login(s.lastEmail(), GOOD_PASSWORD, "192.0.2.30")).status).toBe(200);
    await s.t.services.background.drain();
    const rows = await sql.query(
      "SELECT count(*)::int AS n, avg(pg_column_size(a.*))::int AS bytes FROM audit_events a WHERE action = 'login.succeeded'",
    );
    expect(rows.rows[0].n).toBe(before + 20);
    // The row itself, without index entries: ids, time, action, address, request id, `{"method":"password"}`.
    expect(rows.rows[0].bytes).toBeLessThan(320);
  });
});

describe("reading the trail", () => {
  it("filters by action, actor and target, and pages newest first with a cursor, without gaps or repeats", async () => {
    const user = await signup();
    for (let i = 0; i < 7; i++) {
      s.clock.advance(1);
      await request(`/t/acme/v1/admin/users/${user.user.id}`, {
        method: "PATCH",
        headers: ADMIN,
        body: JSON.stringify({ email_verified: i % 2 === 0 }),
      });
    }
    const all = (await events(`?target_id=${user.user.id}&action=admin.users.update`)).events;
    expect(all).toHaveLength(7);
    const seen: string[] = [];
    let cursor: string | null = "";
    while (cursor !== null) {
      const page: { events: AuditEvent[]; next_cursor: string | null } = await events(
        `?target_id=${user.user.id}&action=admin.users.update&limit=3${cursor ? `&cursor=${cursor}` : ""}`,
      );
      seen.push(...page.events.map((e) => e.id));
      cursor = page.next_cursor;
    }
    expect(seen).toEqual(all.map((e) => e.id));
    // Newest first: the last change (i = 6, verified) leads, the one before it (i = 5) follows.
    const times = all.map((e) => Date.parse(e.at));
    expect(times.every((at, i) => i === 0 || at < (times[i - 1] ?? 0))).toBe(true);
    expect(all.map((e) => e.details.email_verified).slice(0, 2)).toEqual([true, false]);
    const acted = (await events(`?actor_id=${user.user.id}`)).events;
    expect(acted.map((e) => e.action)).toContain("user.signed_up");
    expect(acted.every((e) => e.actor.id === user.user.id)).toBe(true);
  });

  it("refuses bad cursors and limits, and callers without the admin scope", async () => {
    // Cursors the listing did not hand out: made up (year 10000, which Postgres would refuse, too), a real one
    // changed, and a real one of another tenant's listing.
    const cursorAt = (ms: number) =>
      `?cursor=${Buffer.from(`${ms}/00000000-0000-0000-0000-000000000000`).toString("base64url")}`;
    const real = (await events("?limit=1")).next_cursor as string;
    const [body = "", ...signed] = real.split(".");
    const changed = Buffer.from(
      Buffer.from(body, "base64url")
        .toString()
        .replace(/\d(?=\/)/, (d) => String((Number(d) + 1) % 10)),
    );
    for (const name of ["one", "two"]) {
      const body = JSON.stringify({ name, scopes: ["admin"] });
      expect((await request("/t/other/v1/admin/api-keys", { method: "POST", headers: ADMIN, body })).status).toBe(201);
    }
    const otherTenants = (await events("?limit=1", "other")).next_cursor;
    expect(otherTenants).toEqual(expect.any(String));
    const bad = [
      "?cursor=nonsense",
      "?cursor=bm90LWEtY3Vyc29y",
      cursorAt(Date.UTC(9999, 11, 31, 23, 59, 59, 999)),
      cursorAt(999_999_999_999_999),
      `?cursor=${[changed.toString("base64url"), ...signed].join(".")}`,
      `?cursor=${otherTenants}`,
      // Empty: not absent (400 as at every other listing).
      "?cursor=",
    ];
    const limits = ["?limit=0", "?limit=101", "?limit=x", "?limit=0x10", "?limit=3e0", "?limit=%2B3", "?limit=%203"];
    for (const query of [...bad, ...limits]) {
      const answer = await readAnswer(await request(`/t/acme/v1/admin/audit-events${query}`, { headers: ADMIN }));
      expectProblem(answer, 400, "validation_failed");
    }
    const user = await signup();
    const answer = await request("/t/acme/v1/admin/audit-events", {
      headers: { Authorization: `Bearer ${user.access_token}` },
    });
    expect(answer.status).toBe(401);
    // A key without `admin` is 403; another tenant's admin key is no key here (401).
    const serviceKey = async (tenant: string, scopes: string[]) => {
      const created = await request(`/t/${tenant}/v1/admin/api-keys`, {
        method: "POST",
        headers: ADMIN,
        body: JSON.stringify({ name: "audit reader", scopes }),
      });
      expect(created.status).toBe(201);
      const { key } = (await created.json()) as { key: string };
      secrets.push(key);
      return { Authorization: `Bearer ${key}` };
    };
    const weak = await request("/t/acme/v1/admin/audit-events", { headers: await serviceKey("acme", ["reports"]) });
    expectProblem(await readAnswer(weak), 403, "forbidden");
    const foreign = await request("/t/acme/v1/admin/audit-events", { headers: await serviceKey("other", ["admin"]) });
    expect(foreign.status).toBe(401);
  });

  it("holds no secret, token, key or password anywhere in the table", async () => {
    await s.t.services.background.drain();
    const text = (await sql.query("SELECT row_to_json(a)::text AS row FROM audit_events a")).rows
      .map((r) => r.row as string)
      .join("\n");
    expect(text.length).toBeGreaterThan(1000);
    for (const secret of secrets) expect(text).not.toContain(secret);
    expect(text).not.toContain("Secret Name");
  });
});
