/**
 * The admin's listing of a tenant's OAuth clients on real Postgres and Redis:
 * a page at a time (100 by default), every client once, newest first, while
 * clients are registered and deleted between pages; bad limits and cursors,
 * and other listings' cursors, refused with 400; and the cap on a tenant's
 * clients (409 limit_reached).
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_CLIENTS } from "../../src/core/oidc/clients.js";
import type { Tenant } from "../../src/core/ports/database.js";
import { JSON_HEADERS } from "../support/accounts.js";
import { TEST_ADMIN_KEY } from "../support/app.js";
import { expectProblem, readAnswer } from "../support/problem.js";
import { type SessionsApp, startSessionsApp } from "../support/sessions.js";

interface ClientItem {
  client_id: string;
  created_at: string;
}
interface Page {
  clients: ClientItem[];
  next_cursor: string | null;
}

const admin = { ...JSON_HEADERS, Authorization: `Bearer ${TEST_ADMIN_KEY}` };

let s: SessionsApp;
beforeAll(async () => {
  s = await startSessionsApp();
  for (const slug of ["apps", "apps-other", "apps-full"]) await s.api.createTenant(slug);
});
afterAll(async () => {
  await s.close();
});

const tenantOf = async (slug: string) => (await s.t.deps.db.tenants.findBySlug(slug)) as Tenant;

async function page(path: string): Promise<Page> {
  const response = await s.t.app.request(path, { headers: admin });
  expect(response.status, await response.clone().text()).toBe(200);
  return response.json();
}

/** Every page of the listing, following `next_cursor`; `between` runs between pages. */
async function walk(slug: string, limit?: number, between: () => Promise<void> = async () => {}): Promise<Page[]> {
  const pages: Page[] = [];
  let cursor: string | null = null;
  do {
    const query = new URLSearchParams();
    if (limit !== undefined) query.set("limit", String(limit));
    if (cursor) query.set("cursor", cursor);
    const next = await page(`/t/${slug}/v1/admin/clients?${query}`);
    pages.push(next);
    cursor = next.next_cursor;
    if (cursor) await between();
    expect(pages.length).toBeLessThan(100);
  } while (cursor);
  return pages;
}

/** `count` public clients of the tenant straight into the database, three created in each millisecond. */
async function seedClients(tenant: Tenant, count: number): Promise<string[]> {
  const now = s.clock.now().getTime();
  const seed = async (i: number) => {
    const client = await s.t.deps.db.clients.create(
      {
        tenantId: tenant.id,
        clientId: randomBytes(16).toString("base64url"),
        name: `app ${i}`,
        type: "public",
        redirectUris: ["https://app.example/cb"],
        postLogoutRedirectUris: [],
        grantTypes: ["authorization_code"],
        scopes: ["openid"],
        firstParty: false,
        accessTokenTtl: null,
        refreshTokenTtl: null,
        secretHash: null,
        now: new Date(now - 10_000 - Math.floor(i / 3)),
      },
      MAX_CLIENTS,
    );
    if (!client) throw new Error("The seeded client was refused.");
    return client.clientId;
  };
  const ids: string[] = [];
  // Twenty at a time: well under the cap, so no insert's count misses another's.
  for (let i = 0; i < count; i += 20) {
    ids.push(...(await Promise.all(Array.from({ length: Math.min(20, count - i) }, (_, j) => seed(i + j)))));
  }
  return ids;
}

const register = (slug: string) =>
  s.t.app.request(`/t/${slug}/v1/admin/clients`, {
    method: "POST",
    headers: admin,
    body: JSON.stringify({ name: "Billing", type: "public", redirect_uris: ["https://billing.example/cb"] }),
  });

const sorted = (ids: string[]) => [...ids].sort();
const BAD_QUERIES = ["limit=0", "limit=101", "limit=abc", "limit=1.5", "limit=", "cursor=", "cursor=zzz"];

describe("GET /admin/clients, a page at a time", () => {
  let seeded: string[];
  beforeAll(async () => {
    seeded = await seedClients(await tenantOf("apps"), 250);
  });

  it("answers 100 at a time by default, each of 250 once, newest first; limit=1 answers one", async () => {
    const pages = await walk("apps");
    expect(pages.map((p) => p.clients.length)).toEqual([100, 100, 50]);
    const all = pages.flatMap((p) => p.clients);
    expect(sorted(all.map((c) => c.client_id))).toEqual(sorted(seeded));
    const times = all.map((c) => c.created_at);
    expect(times).toEqual([...times].sort().reverse());
    // Smaller pages give the same sequence.
    const small = await walk("apps", 7);
    expect(small.flatMap((p) => p.clients).map((c) => c.client_id)).toEqual(all.map((c) => c.client_id));
    expect(small.slice(0, -1).every((p) => p.clients.length === 7)).toBe(true);
    const one = await page("/t/apps/v1/admin/clients?limit=1");
    expect(one.clients.map((c) => c.client_id)).toEqual([all[0]?.client_id]);
    expect(one.next_cursor).toEqual(expect.any(String));
    expect((await page("/t/apps/v1/admin/clients?limit=100")).clients).toHaveLength(100);
  });

  it("never shows a client twice or skips one while clients are registered and deleted between pages", async () => {
    const registered: string[] = [];
    const deleted: string[] = [];
    const pages = await walk("apps", 30, async () => {
      const created = await register("apps");
      expect(created.status).toBe(201);
      registered.push(((await created.json()) as ClientItem).client_id);
      // The oldest client not yet deleted goes: it is on a page still to come.
      const gone = seeded[seeded.length - 1 - deleted.length] as string;
      expect(
        (await s.t.app.request(`/t/apps/v1/admin/clients/${gone}`, { method: "DELETE", headers: admin })).status,
      ).toBe(204);
      deleted.push(gone);
    });
    const ids = pages.flatMap((p) => p.clients).map((c) => c.client_id);
    expect(new Set(ids).size).toBe(ids.length);
    // Registered clients are newer than the walk's place; deleted ones are gone before it reached them.
    expect(sorted(ids)).toEqual(sorted(seeded.filter((id) => !deleted.includes(id))));
    expect(ids.some((id) => registered.includes(id))).toBe(false);
  });

  it("refuses bad limits and cursors, another tenant's and another listing's cursors, with 400 validation_failed", async () => {
    const apps = await tenantOf("apps");
    await seedClients(await tenantOf("apps-other"), 2);
    const theirs = (await page("/t/apps-other/v1/admin/clients?limit=1")).next_cursor;
    for (let i = 0; i < 2; i++) {
      await s.t.deps.db.apiKeys.create(
        {
          id: crypto.randomUUID(),
          tenantId: apps.id,
          userId: null,
          name: `key ${i}`,
          prefix: "sk_seeded",
          keyHash: crypto.randomUUID().replaceAll("-", "").repeat(2),
          scopes: ["openid"],
          expiresAt: null,
          now: s.clock.now(),
        },
        1_000,
      );
    }
    const keys = (await page("/t/apps/v1/admin/api-keys?limit=1")).next_cursor;
    // MAC'd for this listing, but not a client's place.
    const cursors = s.t.services.cursors;
    const notAnId = await cursors.encode(`clients:${apps.id}`, "2026-11-01T12:00:00.000000Z", "not a client id");
    const notATime = await cursors.encode(`clients:${apps.id}`, "yesterday", "A".repeat(22));
    expect([theirs, keys]).toEqual([expect.any(String), expect.any(String)]);
    const foreign = [theirs, keys, notAnId, notATime].map((cursor) => `cursor=${encodeURIComponent(cursor ?? "")}`);
    for (const query of [...BAD_QUERIES, ...foreign]) {
      const answer = await readAnswer(await s.t.app.request(`/t/apps/v1/admin/clients?${query}`, { headers: admin }));
      expectProblem(answer, 400, "validation_failed");
      expect(answer.json.errors).toEqual([
        { path: expect.stringMatching(/^(limit|cursor)$/), message: expect.any(String) },
      ]);
    }
    const answer = await readAnswer(
      await s.t.app.request(`/t/apps/v1/admin/clients?cursor=${theirs}`, { headers: admin }),
    );
    expect(answer.json.errors).toEqual([{ path: "cursor", message: "is not a cursor of this listing" }]);
  });
});

describe("the cap on a tenant's clients", () => {
  it(`registers the ${MAX_CLIENTS}th client, refuses one more with 409 limit_reached, and takes one after a deletion`, async () => {
    const full = await tenantOf("apps-full");
    const seeded = await seedClients(full, MAX_CLIENTS - 1);
    expect((await register("apps-full")).status).toBe(201);
    const refused = await readAnswer(await register("apps-full"));
    expectProblem(refused, 409, "limit_reached");
    expect(refused.json.detail).toBe(`A tenant holds at most ${MAX_CLIENTS} clients; delete one first.`);
    // Another tenant's clients count apart.
    expect((await register("apps-other")).status).toBe(201);
    const gone = seeded[0] as string;
    const deleted = await s.t.app.request(`/t/apps-full/v1/admin/clients/${gone}`, {
      method: "DELETE",
      headers: admin,
    });
    expect(deleted.status).toBe(204);
    expect((await register("apps-full")).status).toBe(201);
    expectProblem(await readAnswer(await register("apps-full")), 409, "limit_reached");
  });
});
