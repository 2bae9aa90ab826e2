/**
 * The listings of what users hold, on real Postgres and Redis: a user's
 * sessions (their own and the admin's view) and API keys (their own and the
 * tenant's), a page at a time (100 by default), every item once, in order,
 * and bad limits or cursors refused with 400.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Tenant } from "../../src/core/ports/database.js";
import { TEST_ADMIN_KEY } from "../support/app.js";
import { expectProblem, readAnswer } from "../support/problem.js";
import { type SessionsApp, startSessionsApp } from "../support/sessions.js";

const DAY = 86_400_000;
const admin = { Authorization: `Bearer ${TEST_ADMIN_KEY}` };

let s: SessionsApp;
let tenant: Tenant;
beforeAll(async () => {
  s = await startSessionsApp();
  await s.api.createTenant("lists");
  tenant = (await s.t.deps.db.tenants.findBySlug("lists")) as Tenant;
});
afterAll(async () => {
  await s.close();
});

const get = async (path: string, headers: Record<string, string>) => {
  const response = await s.t.app.request(path, { headers });
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as Record<string, unknown> & { next_cursor: string | null };
};

/** Every page of a listing, following `next_cursor`: the pages' item lists. */
async function walk<T>(path: string, headers: Record<string, string>, field: string, limit?: number): Promise<T[][]> {
  const pages: T[][] = [];
  let cursor: string | null = null;
  do {
    const url = new URL(path, "http://in.process");
    if (limit !== undefined) url.searchParams.set("limit", String(limit));
    if (cursor) url.searchParams.set("cursor", cursor);
    const page = await get(`${url.pathname}${url.search}`, headers);
    pages.push(page[field] as T[]);
    cursor = page.next_cursor;
    expect(pages.length).toBeLessThan(100);
  } while (cursor);
  return pages;
}

/** `count` live sessions of the user, three last used in each millisecond, all before now. */
async function seedSessions(userId: string, count: number): Promise<string[]> {
  const now = s.clock.now().getTime();
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const session = await s.t.deps.db.sessions.create({
      id: crypto.randomUUID(),
      tenantId: tenant.id,
      userId,
      authMethod: "password",
      amr: ["pwd"],
      clientId: null,
      scope: "openid",
      userAgent: `agent ${i}`,
      ip: "192.0.2.1",
      authTime: new Date(now - DAY),
      lastUsedAt: new Date(now - 1_000 - Math.floor(i / 3)),
      expiresAt: new Date(now + DAY),
      absoluteExpiresAt: new Date(now + 30 * DAY),
      refreshHash: null,
    });
    ids.push(session.id);
  }
  return ids;
}

/** `count` keys of the owner (null: service keys), created three in each millisecond. */
async function seedKeys(userId: string | null, count: number, expiresAt: Date | null = null): Promise<string[]> {
  const now = s.clock.now().getTime();
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const key = await s.t.deps.db.apiKeys.create(
      {
        id: crypto.randomUUID(),
        tenantId: tenant.id,
        userId,
        name: `key ${i}`,
        prefix: "sk_seeded",
        keyHash: crypto.randomUUID().replaceAll("-", "").repeat(2),
        scopes: ["openid"],
        expiresAt,
        now: new Date(now - 10_000 - Math.floor(i / 3)),
      },
      1_000,
    );
    if (!key) throw new Error("The seeded key was refused.");
    ids.push(key.id);
  }
  return ids;
}

interface SessionItem {
  id: string;
  last_used_at: string;
  current: boolean;
}

const sorted = (ids: string[]) => [...ids].sort();
const descending = (times: string[]) => expect(times).toEqual([...times].sort().reverse());

/** The bad queries every paged listing refuses with 400 validation_failed. */
const BAD_QUERIES = ["limit=0", "limit=101", "limit=abc", "limit=1.5", "limit=", "cursor=", "cursor=garbage!"];

async function expectRefused(path: string, headers: Record<string, string>, queries: string[]) {
  for (const query of queries) {
    const answer = await readAnswer(await s.t.app.request(`${path}?${query}`, { headers }));
    expectProblem(answer, 400, "validation_failed");
  }
}

describe("a user's sessions, a page at a time", () => {
  let me: { access_token: string; session_id: string; user: { id: string } };
  let seeded: string[];
  let bearer: Record<string, string>;
  beforeAll(async () => {
    me = await s.signup("lists");
    bearer = { Authorization: `Bearer ${me.access_token}` };
    seeded = await seedSessions(me.user.id, 250);
  });

  it("answers 100 at a time by default, each of 251 once, most recently used first, the caller's marked current", async () => {
    const pages = await walk<SessionItem>("/t/lists/v1/sessions", bearer, "sessions");
    expect(pages.map((page) => page.length)).toEqual([100, 100, 51]);
    const all = pages.flat();
    expect(sorted(all.map((x) => x.id))).toEqual(sorted([...seeded, me.session_id]));
    descending(all.map((x) => x.last_used_at));
    expect(all.filter((x) => x.current).map((x) => x.id)).toEqual([me.session_id]);
    // Smaller pages give the same sequence.
    const small = await walk<SessionItem>("/t/lists/v1/sessions", bearer, "sessions", 7);
    expect(small.flat().map((x) => x.id)).toEqual(all.map((x) => x.id));
    expect(small.slice(0, -1).every((page) => page.length === 7)).toBe(true);
    const one = await get("/t/lists/v1/sessions?limit=100", bearer);
    expect((one.sessions as unknown[]).length).toBe(100);
  });

  it("shows an admin the same sessions, none current", async () => {
    const path = `/t/lists/v1/admin/users/${me.user.id}/sessions`;
    const pages = await walk<SessionItem>(path, admin, "sessions");
    expect(pages.map((page) => page.length)).toEqual([100, 100, 51]);
    expect(sorted(pages.flat().map((x) => x.id))).toEqual(sorted([...seeded, me.session_id]));
    expect(pages.flat().some((x) => x.current)).toBe(false);
    const fifty = await walk<SessionItem>(path, admin, "sessions", 50);
    expect(fifty.flat().map((x) => x.id)).toEqual(pages.flat().map((x) => x.id));
  });

  it("refuses bad limits and cursors, and another listing's cursor, with 400 validation_failed", async () => {
    const other = await s.signup("lists");
    await seedSessions(other.user.id, 2);
    const theirs = await get("/t/lists/v1/sessions?limit=1", { Authorization: `Bearer ${other.access_token}` });
    const keys = await seedKeys(me.user.id, 2);
    const keyCursor = (await get("/t/lists/v1/api-keys?limit=1", bearer)).next_cursor;
    expect([theirs.next_cursor, keyCursor]).toEqual([expect.any(String), expect.any(String)]);
    const foreign = [`cursor=${theirs.next_cursor}`, `cursor=${keyCursor}`];
    await expectRefused("/t/lists/v1/sessions", bearer, [...BAD_QUERIES, ...foreign]);
    await expectRefused(`/t/lists/v1/admin/users/${me.user.id}/sessions`, admin, [...BAD_QUERIES, ...foreign]);
    for (const id of keys) await s.t.deps.db.apiKeys.revoke(tenant.id, me.user.id, id, s.clock.now());
  });
});

describe("API keys, a page at a time", () => {
  let ann: { access_token: string; user: { id: string } };
  let bob: { access_token: string; user: { id: string } };
  const keys: Record<"ann" | "bob" | "service", string[]> = { ann: [], bob: [], service: [] };
  beforeAll(async () => {
    await s.api.createTenant("keyring");
    tenant = (await s.t.deps.db.tenants.findBySlug("keyring")) as Tenant;
    ann = await s.signup("keyring");
    bob = await s.signup("keyring");
    keys.ann = await seedKeys(ann.user.id, 100);
    keys.bob = await seedKeys(bob.user.id, 100);
    keys.service = await seedKeys(null, 50);
    // Expired keys are listed nowhere.
    await seedKeys(ann.user.id, 3, new Date(s.clock.now().getTime() - 1));
  });

  it("answers a user's keys 100 at a time by default, newest first, each once", async () => {
    const bearer = { Authorization: `Bearer ${ann.access_token}` };
    const whole = await walk<{ id: string; created_at: string }>("/t/keyring/v1/api-keys", bearer, "api_keys");
    expect(whole.map((page) => page.length)).toEqual([100]);
    const pages = await walk<{ id: string; created_at: string }>("/t/keyring/v1/api-keys", bearer, "api_keys", 30);
    expect(pages.map((page) => page.length)).toEqual([30, 30, 30, 10]);
    expect(pages.flat().map((x) => x.id)).toEqual(whole.flat().map((x) => x.id));
    expect(sorted(pages.flat().map((x) => x.id))).toEqual(sorted(keys.ann));
    descending(pages.flat().map((x) => x.created_at));
    await expectRefused("/t/keyring/v1/api-keys", bearer, BAD_QUERIES);
  });

  it("answers an admin every key of the tenant, 100 at a time, or one user's", async () => {
    const pages = await walk<{ id: string; user_id: string | null }>("/t/keyring/v1/admin/api-keys", admin, "api_keys");
    expect(pages.map((page) => page.length)).toEqual([100, 100, 50]);
    expect(sorted(pages.flat().map((x) => x.id))).toEqual(sorted([...keys.ann, ...keys.bob, ...keys.service]));
    const path = `/t/keyring/v1/admin/api-keys?user_id=${bob.user.id.toUpperCase()}&limit=40`;
    const first = await get(path, admin);
    const rest = await walk<{ id: string }>(
      `/t/keyring/v1/admin/api-keys?user_id=${bob.user.id}&cursor=${first.next_cursor}`,
      admin,
      "api_keys",
    );
    const bobs = [...(first.api_keys as { id: string }[]), ...rest.flat()].map((x) => x.id);
    expect(sorted(bobs)).toEqual(sorted(keys.bob));
    expect(bobs).toHaveLength(100);
    // A cursor of one user's keys is not one of the whole tenant's, and the reverse.
    const whole = (await get("/t/keyring/v1/admin/api-keys?limit=1", admin)).next_cursor;
    const bobsCursor = first.next_cursor;
    await expectRefused("/t/keyring/v1/admin/api-keys", admin, [...BAD_QUERIES, `cursor=${bobsCursor}`]);
    await expectRefused(`/t/keyring/v1/admin/api-keys?user_id=${bob.user.id}`, admin, [`cursor=${whole}`]);
    // Bob's own listing is the same listing as the admin's view of Bob's keys.
    const own = await get(`/t/keyring/v1/api-keys?cursor=${bobsCursor}`, {
      Authorization: `Bearer ${bob.access_token}`,
    });
    expect((own.api_keys as unknown[]).length).toBe(60);
  });
});
