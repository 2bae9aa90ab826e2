/**
 * The admin's view of a tenant's users on real Postgres and Redis: pages that
 * stay whole while people sign up, lookup by normalised email, a user's live
 * sessions, and refusals of bad input and of callers without `admin`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JSON_HEADERS } from "../support/accounts.js";
import { TEST_ADMIN_KEY } from "../support/app.js";
import { expectProblem, readAnswer } from "../support/problem.js";
import { type SessionsApp, startSessionsApp } from "../support/sessions.js";

interface Page {
  users: { id: string; email: string; created_at: string; disabled: boolean; scopes: string[] }[];
  next_cursor: string | null;
}

let s: SessionsApp;
beforeAll(async () => {
  s = await startSessionsApp();
  await s.api.createTenant("crowd");
  await s.api.createTenant("lookup");
});
afterAll(async () => {
  await s.close();
});

const admin = { Authorization: `Bearer ${TEST_ADMIN_KEY}` };
const get = (path: string, headers: Record<string, string> = admin) => s.t.app.request(path, { headers });
async function page(tenant: string, query: string): Promise<Page> {
  const response = await get(`/t/${tenant}/v1/admin/users?${query}`);
  expect(response.status, await response.clone().text()).toBe(200);
  return response.json();
}
const signupIn = async (tenant: string, email: string) => {
  const response = await s.api.signup(tenant, email);
  expect(response.status).toBe(201);
  return ((await response.json()) as { user: { id: string } }).user.id;
};

describe("GET /admin/users", () => {
  it("pages through every user exactly once while others sign up concurrently", async () => {
    const before: string[] = [];
    // Several users per millisecond and several milliseconds, so the order needs both created_at and id.
    for (let i = 0; i < 24; i++) {
      before.push(await signupIn("crowd", `early${i}@example.com`));
      if (i % 5 === 4) s.clock.advance(1);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let joined = 0;
    do {
      const query: string = `limit=5${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
      // Each page is read while three more people sign up, some at the same instant as earlier users.
      const [result] = await Promise.all([
        page("crowd", query),
        ...[0, 1, 2].map(() => signupIn("crowd", `late${joined++}@example.com`)),
      ]);
      if (joined % 2 === 0) s.clock.advance(1);
      expect(result.users.length).toBeLessThanOrEqual(5);
      seen.push(...result.users.map((u) => u.id));
      cursor = result.next_cursor;
    } while (cursor);

    expect(new Set(seen).size).toBe(seen.length);
    for (const id of before) expect(seen.filter((x) => x === id)).toHaveLength(1);
  });

  it("lists newest first with 50 by default, and ends with next_cursor null", async () => {
    const all = await page("crowd", "limit=100");
    expect(all.users.length).toBeGreaterThan(24);
    expect(all.next_cursor).toBeNull();
    const defaults = await page("crowd", "");
    expect(defaults.users.map((u) => u.id)).toEqual(all.users.slice(0, 50).map((u) => u.id));
    const created = all.users.map((u) => u.created_at);
    expect(created).toEqual([...created].sort().reverse());
    // The oldest five share one millisecond: still all there, at the end.
    expect(
      all.users
        .slice(-5)
        .map((u) => u.email)
        .sort(),
    ).toEqual([0, 1, 2, 3, 4].map((i) => `early${i}@example.com`));
    expect(all.users[0]).toMatchObject({ disabled: false, scopes: [] });
  });

  it("finds a user by the normalised address exactly, and never lists deleted users", async () => {
    const id = await signupIn("lookup", "Ada.Lovelace@Example.com");
    await signupIn("lookup", "ada.lovelace2@example.com");
    for (const spelled of ["ada.lovelace@example.com", "  ADA.LOVELACE@EXAMPLE.COM "]) {
      const found = await page("lookup", `email=${encodeURIComponent(spelled)}`);
      expect(found.users.map((u) => u.id)).toEqual([id]);
      expect(found.next_cursor).toBeNull();
    }
    for (const other of ["ada.lovelace@example.co", "ada@example.com", "not an address", ""]) {
      expect((await page("lookup", `email=${encodeURIComponent(other)}`)).users).toEqual([]);
    }
    const removed = await s.t.app.request(`/t/lookup/v1/admin/users/${id}`, { method: "DELETE", headers: admin });
    expect(removed.status).toBe(204);
    expect((await page("lookup", "email=ada.lovelace@example.com")).users).toEqual([]);
    expect((await page("lookup", "limit=100")).users.map((u) => u.id)).not.toContain(id);
  });

  it("refuses bad cursors and limits with 400 validation_failed", async () => {
    const first = await page("crowd", "limit=1");
    expect(first.next_cursor).toEqual(expect.any(String));
    const forged = Buffer.from(`2026-02-30T00:00:00.000000Z/${crypto.randomUUID()}`).toString("base64url");
    const yearZero = Buffer.from(`0000-01-01T00:00:00.000000Z/${crypto.randomUUID()}`).toString("base64url");
    // Real cursors the listing did not hand out: another tenant's, and one whose position was changed.
    await signupIn("lookup", `cursor-${crypto.randomUUID()}@example.com`);
    await signupIn("lookup", `cursor-${crypto.randomUUID()}@example.com`);
    const otherTenants = (await page("lookup", "limit=1")).next_cursor;
    expect(otherTenants).toEqual(expect.any(String));
    const [body = "", ...signed] = (first.next_cursor as string).split(".");
    const position = Buffer.from(body, "base64url").toString();
    const moved = Buffer.from(position.replace(/.(?=Z\/)/, (d) => (d === "1" ? "2" : "1"))).toString("base64url");
    const bad = [
      `cursor=${otherTenants}`,
      `cursor=${[moved, ...signed].join(".")}`,
      "cursor=garbage!",
      "cursor=",
      `cursor=${forged}`,
      `cursor=${yearZero}`,
      `cursor=${Buffer.from("x/y").toString("base64url")}`,
      `cursor=${encodeURIComponent(`${first.next_cursor}x`)}`,
      "limit=0",
      "limit=101",
      "limit=abc",
      "limit=1.5",
      "limit=-1",
      // Decimal digits only, not whatever Number() makes of the text.
      "limit=0x10",
      "limit=3e0",
      "limit=%2B3",
      "limit=%203",
      "limit=3%20",
      "limit=",
    ];
    for (const query of bad) {
      expectProblem(await readAnswer(await get(`/t/crowd/v1/admin/users?${query}`)), 400, "validation_failed");
    }
  });

  it("answers 401 to a user's access token and to no credentials, 404 for an unknown tenant", async () => {
    const user = await s.signup();
    const asUser = await get("/t/acme/v1/admin/users", { Authorization: `Bearer ${user.access_token}` });
    expect(asUser.status).toBe(401);
    expectProblem(await readAnswer(await get("/t/acme/v1/admin/users", {})), 401, "unauthorized");
    expectProblem(await readAnswer(await get("/t/nowhere/v1/admin/users")), 404, "tenant_not_found");
  });
});

describe("GET /admin/users/{id}/sessions", () => {
  it("lists the user's live sessions, none current, and not revoked ones", async () => {
    const first = await s.signup();
    const second = await s.api.login("acme", s.lastEmail());
    const secondId = ((await second.json()) as { session_id: string }).session_id;
    const list = async (id: string) => {
      const response = await get(`/t/acme/v1/admin/users/${id}/sessions`);
      expect(response.status).toBe(200);
      return ((await response.json()) as { sessions: { id: string; current: boolean }[] }).sessions;
    };
    const both = await list(first.user.id);
    expect(both.map((x) => x.id).sort()).toEqual([first.session_id, secondId].sort());
    expect(both.every((x) => x.current === false)).toBe(true);
    expect(Object.keys(both[0] ?? {}).sort()).toEqual(
      ["auth_method", "created_at", "current", "expires_at", "id", "ip", "last_used_at", "user_agent"].sort(),
    );
    expect((await s.api.logout("acme", first.access_token)).status).toBe(204);
    expect((await list(first.user.id)).map((x) => x.id)).toEqual([secondId]);
  });

  it("answers 404 for unknown, malformed and foreign ids, and 401 to a user's token", async () => {
    const theirs = await s.signup("other");
    for (const id of [theirs.user.id, crypto.randomUUID(), "nope"]) {
      expectProblem(await readAnswer(await get(`/t/acme/v1/admin/users/${id}/sessions`)), 404, "not_found");
    }
    const mine = await s.signup();
    const asUser = await get(`/t/acme/v1/admin/users/${mine.user.id}/sessions`, {
      ...JSON_HEADERS,
      Authorization: `Bearer ${mine.access_token}`,
    });
    expect(asUser.status).toBe(401);
  });
});
