/**
 * Reading back the admin API's tenant-level settings on real Postgres and
 * Redis: tenants (bootstrap key), redirect allowlists and signing keys; who
 * may read them, and that no secret comes back.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appClient, JSON_HEADERS, type TokenBody } from "../support/accounts.js";
import { startTestApp, TEST_ADMIN_KEY, type TestApp } from "../support/app.js";
import { expectProblem, readAnswer } from "../support/problem.js";

let t: TestApp;
let api: ReturnType<typeof appClient>;
let db: pg.Client;
let adminKey: string;
let weakKey: string;
const bootstrap = { Authorization: `Bearer ${TEST_ADMIN_KEY}` };
const get = (path: string, headers: Record<string, string> = bootstrap) => t.app.request(path, { headers });
const json = async (response: Response) => {
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as Record<string, unknown>;
};

/** An API key of the tenant with these scopes, owned by a user who holds them. */
async function apiKey(tenant: string, email: string, scopes: string[]): Promise<string> {
  const signup = (await (await api.signup(tenant, email)).json()) as { user: { id: string } };
  await db.query("UPDATE users SET scopes = $1 WHERE id = $2", [JSON.stringify(scopes), signup.user.id]);
  const owner = (await (await api.login(tenant, email)).json()) as TokenBody;
  const created = await t.app.request(`/t/${tenant}/v1/api-keys`, {
    method: "POST",
    headers: { ...JSON_HEADERS, Authorization: `Bearer ${owner.access_token}` },
    body: JSON.stringify({ name: "k", scopes }),
  });
  expect(created.status, await created.clone().text()).toBe(201);
  return ((await created.json()) as { key: string }).key;
}

beforeAll(async () => {
  t = await startTestApp();
  api = appClient(t);
  db = new pg.Client({ connectionString: t.database.url });
  await db.connect();
  await api.createTenant("rb");
  await api.createTenant("other");
  adminKey = await apiKey("rb", "admin@example.com", ["admin"]);
  weakKey = await apiKey("rb", "weak@example.com", ["openid"]);
});
afterAll(async () => {
  await db.end();
  await t.close();
});

describe("GET /v1/admin/tenants", () => {
  it("reads back a tenant as POST stored it, settings included", async () => {
    const created = await t.app.request("/v1/admin/tenants", {
      method: "POST",
      headers: { ...bootstrap, ...JSON_HEADERS },
      body: JSON.stringify({ slug: "tuned", name: "Tuned", signing_alg: "ES256", access_token_ttl: 300 }),
    });
    expect(created.status).toBe(201);
    const body = (await created.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ signing_alg: "ES256", access_token_ttl: 300, audience: null });
    expect(await json(await get("/v1/admin/tenants/tuned"))).toEqual(body);
    const listed = (await json(await get("/v1/admin/tenants?limit=100"))) as { tenants: unknown[] };
    expect(listed.tenants).toContainEqual(body);
  });

  it("pages through every tenant by slug with an opaque cursor", async () => {
    for (const slug of ["pg-c", "pg-a", "pg-b"]) await api.createTenant(slug);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `limit=2&cursor=${cursor}` : "limit=2";
      const page = (await json(await get(`/v1/admin/tenants?${query}`))) as {
        tenants: { slug: string }[];
        next_cursor: string | null;
      };
      expect(page.tenants.length).toBeLessThanOrEqual(2);
      seen.push(...page.tenants.map((tenant) => tenant.slug));
      cursor = page.next_cursor;
      pages++;
    } while (cursor && pages < 20);
    expect(seen).toEqual([...seen].sort());
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(expect.arrayContaining(["other", "rb", "tuned", "pg-a", "pg-b", "pg-c"]));
    const { rows } = await db.query("SELECT count(*)::int AS n FROM tenants WHERE deleted_at IS NULL");
    expect(seen).toHaveLength(rows[0].n);
  });

  it.each([
    ["cursor=%%%"],
    ["cursor=not-a-cursor-of-ours"],
    [`cursor=${btoa("UPPER")}`],
    // A well-formed position this listing never handed out (it signs its cursors).
    [`cursor=${Buffer.from("pg-a").toString("base64url")}`],
    ["cursor="],
    ["limit=0"],
    ["limit=101"],
    ["limit=two"],
  ])("refuses %s with 400", async (query) => {
    expectProblem(await readAnswer(await get(`/v1/admin/tenants?${query}`)), 400, "validation_failed");
  });

  it("answers 404 for an unknown or malformed slug", async () => {
    expectProblem(await readAnswer(await get("/v1/admin/tenants/nope")), 404, "tenant_not_found");
    expectProblem(await readAnswer(await get("/v1/admin/tenants/Bad_Slug")), 404, "tenant_not_found");
  });

  it("takes only the bootstrap key, not a tenant's admin API key", async () => {
    for (const path of ["/v1/admin/tenants", "/v1/admin/tenants/rb"]) {
      expectProblem(await readAnswer(await get(path, {})), 401, "unauthorized");
      expectProblem(await readAnswer(await get(path, { Authorization: `Bearer ${adminKey}` })), 401, "invalid_token");
    }
  });
});

describe("GET /t/{tenant}/v1/admin/redirect-uris", () => {
  it("reads back what PUT stored, for an admin API key or the bootstrap key", async () => {
    const uris = ["https://app.example.com/cb", "com.example.app:/cb"];
    const put = await api.redirectUris("rb", uris);
    const stored = await json(put);
    expect(await json(await get("/t/rb/v1/admin/redirect-uris"))).toEqual(stored);
    expect(await json(await get("/t/rb/v1/admin/redirect-uris", { Authorization: `Bearer ${adminKey}` }))).toEqual({
      redirect_uris: uris,
    });
    expect(await json(await get("/t/other/v1/admin/redirect-uris"))).toEqual({ redirect_uris: [] });
  });
});

describe("GET /t/{tenant}/v1/admin/signing-keys", () => {
  it("lists next, active and retired keys with their dates, and no key material", async () => {
    const before = (await json(await get("/t/rb/v1/admin/signing-keys"))) as { keys: Record<string, unknown>[] };
    expect(before.keys.map((k) => k.state)).toEqual(["next", "active"]);
    expect(await json(await api.rotate("rb"))).toMatchObject({ active_kid: before.keys[0]?.kid });
    const after = (await json(await get("/t/rb/v1/admin/signing-keys", { Authorization: `Bearer ${adminKey}` }))) as {
      keys: Record<string, unknown>[];
    };
    expect(after.keys.map((k) => [k.state, k.alg])).toEqual([
      ["next", "RS256"],
      ["active", "RS256"],
      ["retired", "RS256"],
    ]);
    expect(after.keys[1]?.kid).toBe(before.keys[0]?.kid);
    expect(after.keys[2]).toMatchObject({
      kid: before.keys[1]?.kid,
      activated_at: expect.any(String),
      retired_at: expect.any(String),
      published_until: expect.any(String),
    });
    expect(after.keys[0]).toMatchObject({ activated_at: null, retired_at: null, published_until: null });
    const jwks = await api.jwks("rb");
    expect(after.keys.map((k) => k.kid).sort()).toEqual(jwks.keys.map((k) => k.kid).sort());

    const text = JSON.stringify(after);
    const { rows } = await db.query(
      "SELECT private_key_sealed FROM signing_keys WHERE tenant_id = (SELECT id FROM tenants WHERE slug = 'rb')",
    );
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(text).not.toContain(row.private_key_sealed);
    expect(text).not.toMatch(/"(d|p|q|dp|dq|qi|public_jwk|private\w*)"/);
  });
});

describe("tenant read-back routes", () => {
  const routes = ["redirect-uris", "signing-keys", "oauth-providers", "saml-connections"];

  it.each(routes)(
    "GET %s: 401 without credentials, 403 with a key lacking admin, 404 for an unknown tenant",
    async (r) => {
      expectProblem(await readAnswer(await get(`/t/rb/v1/admin/${r}`, {})), 401, "unauthorized");
      expectProblem(
        await readAnswer(await get(`/t/rb/v1/admin/${r}`, { Authorization: "Bearer sk_nope" })),
        401,
        "invalid_token",
      );
      expectProblem(
        await readAnswer(await get(`/t/rb/v1/admin/${r}`, { Authorization: `Bearer ${weakKey}` })),
        403,
        "forbidden",
      );
      expectProblem(await readAnswer(await get(`/t/nope/v1/admin/${r}`)), 404, "tenant_not_found");
    },
  );

  it("does not let one tenant's admin key read another tenant", async () => {
    for (const r of routes) {
      const answer = await readAnswer(await get(`/t/other/v1/admin/${r}`, { Authorization: `Bearer ${adminKey}` }));
      expectProblem(answer, 401, "invalid_token");
    }
  });
});
