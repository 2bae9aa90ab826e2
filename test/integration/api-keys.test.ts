/**
 * API keys through the whole app on real Postgres and Redis: create, list,
 * verify, revoke, scopes on every service route, tenants kept apart.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LogFields } from "../../src/core/ports/logger.js";
import { appClient, JSON_HEADERS, type TokenBody } from "../support/accounts.js";
import { startTestApp, TEST_ADMIN_KEY, TEST_PUBLIC_URL, type TestApp } from "../support/app.js";
import { pinnedClock } from "../support/key-ring.js";
import { basicAuth, oauthFixtures, REDIRECT_URI, tokenRequest } from "../support/oidc.js";
import { expectProblem, readAnswer } from "../support/problem.js";

const clock = pinnedClock(Date.UTC(2026, 10, 2, 9));
const logLines: string[] = [];
const keep = (event: string, fields?: LogFields) => logLines.push(JSON.stringify({ event, ...fields }));
let t: TestApp;
let api: ReturnType<typeof appClient>;
let db: pg.Client;
let admin: TokenBody;
let plain: TokenBody;
let lookups = 0;

async function user(tenant: string, email: string, scopes: string[] = []): Promise<TokenBody> {
  const signup = (await (await api.signup(tenant, email)).json()) as TokenBody & { user: { id: string } };
  if (scopes.length === 0) return signup;
  await db.query("UPDATE users SET scopes = $1 WHERE id = $2", [JSON.stringify(scopes), signup.user.id]);
  return (await (await api.login(tenant, email)).json()) as TokenBody;
}

const bearer = (token: string) => ({ ...JSON_HEADERS, Authorization: `Bearer ${token}` });
const createKey = (owner: TokenBody, body: Record<string, unknown>, tenant = "keys") =>
  t.app.request(`/t/${tenant}/v1/api-keys`, {
    method: "POST",
    headers: bearer(owner.access_token),
    body: JSON.stringify(body),
  });
const verify = (caller: string, key: unknown, tenant = "keys") =>
  t.app.request(`/t/${tenant}/v1/api-keys/verify`, {
    method: "POST",
    headers: bearer(caller),
    body: JSON.stringify({ key }),
  });

async function newKey(owner: TokenBody, scopes: string[], extra: Record<string, unknown> = {}, tenant = "keys") {
  const response = await createKey(owner, { name: `k-${scopes.join("+")}`, scopes, ...extra }, tenant);
  expect(response.status, await response.clone().text()).toBe(201);
  return (await response.json()) as { id: string; key: string; prefix: string };
}

beforeAll(async () => {
  t = await startTestApp({ clock, logger: { info: keep, warn: keep, error: keep } });
  api = appClient(t);
  db = new pg.Client({ connectionString: t.database.url });
  await db.connect();
  await api.createTenant("keys");
  await api.createTenant("other");
  admin = await user("keys", "admin@example.com", ["admin"]);
  plain = await user("keys", "plain@example.com");
  const findByHash = t.deps.db.apiKeys.findByHash.bind(t.deps.db.apiKeys);
  t.deps.db.apiKeys.findByHash = (hash) => {
    lookups++;
    return findByHash(hash);
  };
});
afterAll(async () => {
  await db.end();
  await t.close();
});

describe("API keys", () => {
  it("creates a key shown once, lists it without the key, verifies and revokes it", async () => {
    const verifier = (await newKey(admin, ["api_keys:verify"])).key;
    const created = await newKey(plain, ["openid"], { expires_at: "2027-01-01T00:00:00Z" });
    expect(created.key).toMatch(/^sk_[0-9A-Za-z]{49}$/);
    expect(created.prefix).toBe(created.key.slice(0, 9));
    const list = await (await t.app.request("/t/keys/v1/api-keys", { headers: bearer(plain.access_token) })).text();
    expect(list).not.toContain(created.key);
    expect(JSON.parse(list).api_keys).toMatchObject([
      { id: created.id, prefix: created.prefix, scopes: ["openid"], expires_at: "2027-01-01T00:00:00.000Z" },
    ]);
    expect(await (await verify(verifier, created.key)).json()).toMatchObject({
      valid: true,
      key_id: created.id,
      scopes: ["openid"],
      expires_at: "2027-01-01T00:00:00.000Z",
    });
    const removed = await t.app.request(`/t/keys/v1/api-keys/${created.id}`, {
      method: "DELETE",
      headers: bearer(plain.access_token),
    });
    expect(removed.status).toBe(204);
    expect(await (await verify(verifier, created.key)).json()).toEqual({ valid: false });
    expect(
      (
        await t.app.request(`/t/keys/v1/api-keys/${created.id}`, {
          method: "DELETE",
          headers: bearer(plain.access_token),
        })
      ).status,
    ).toBe(404);
    expect(logLines.join("\n")).not.toContain(created.key);
    expect(logLines.join("\n")).not.toContain(verifier);
  });

  it("refuses a mistyped key without a database lookup", async () => {
    const verifier = (await newKey(admin, ["api_keys:verify"])).key;
    const { key } = await newKey(plain, ["openid"]);
    expect(await (await verify(verifier, key)).json()).toMatchObject({ valid: true }); // both keys now cached
    const before = lookups;
    const flipped = `${key.slice(0, 10)}${key[10] === "a" ? "b" : "a"}${key.slice(11)}`;
    for (const bad of [flipped, key.slice(0, -1), `${key}x`, key.replace("sk_", "pk_"), "sk_", ""]) {
      expect(await (await verify(verifier, bad)).json()).toEqual({ valid: false });
    }
    expect(lookups).toBe(before);
  });

  it("stops an expired key, and lists it no longer (to its owner or to an admin)", async () => {
    const verifier = (await newKey(admin, ["api_keys:verify"])).key;
    const soon = new Date(clock.now().getTime() + 60_000).toISOString();
    const { key, id } = await newKey(plain, ["openid"], { expires_at: soon });
    expect(await (await verify(verifier, key)).json()).toMatchObject({ valid: true });
    const listed = async () => {
      const own = await t.app.request("/t/keys/v1/api-keys", { headers: bearer(plain.access_token) });
      const all = await t.app.request("/t/keys/v1/admin/api-keys", {
        headers: { Authorization: `Bearer ${TEST_ADMIN_KEY}` },
      });
      const ids = (body: unknown) => (body as { api_keys: { id: string }[] }).api_keys.map((k) => k.id);
      return [ids(await own.json()).includes(id), ids(await all.json()).includes(id)];
    };
    expect(await listed()).toEqual([true, true]);
    clock.advance(61_000);
    expect(await (await verify(verifier, key)).json()).toEqual({ valid: false });
    expect(await listed()).toEqual([false, false]);
    expectProblem(
      await readAnswer(await createKey(plain, { name: "past", scopes: [], expires_at: "2020-01-01T00:00:00Z" })),
      400,
      "validation_failed",
    );
  });

  it("grants only scopes the owner holds; admin and service scopes only to admins", async () => {
    for (const scopes of [["admin"], ["tokens:introspect"], ["api_keys:verify"], ["made-up"]]) {
      expectProblem(await readAnswer(await createKey(plain, { name: "x", scopes })), 403, "forbidden");
    }
    await newKey(admin, ["admin", "tokens:introspect", "api_keys:verify"]);
  });

  it("grants no scope the presenting token lacks: one the owner gained since comes with their next token", async () => {
    const signup = (await (await api.signup("keys", "promoted@example.com")).json()) as TokenBody & {
      user: { id: string };
    };
    const promoted = await t.app.request(`/t/keys/v1/admin/users/${signup.user.id}`, {
      method: "PATCH",
      headers: { ...JSON_HEADERS, Authorization: `Bearer ${TEST_ADMIN_KEY}` },
      body: JSON.stringify({ scopes: ["admin"] }),
    });
    expect(promoted.status).toBe(200);
    for (const scopes of [["admin"], ["tokens:introspect"], ["api_keys:verify"]]) {
      expectProblem(await readAnswer(await createKey(signup, { name: "x", scopes })), 403, "forbidden");
    }
    const refreshed = (await (await api.refresh("keys", signup.refresh_token)).json()) as TokenBody;
    await newKey(refreshed, ["admin", "tokens:introspect", "api_keys:verify"]);
  });

  it("grants a first-party client's token only what its grant holds", async () => {
    const fx = oauthFixtures(t, "keys");
    const app = await fx.register({ type: "confidential", first_party: true, scopes: ["openid", "email", "admin"] });
    const login = await fx.login();
    expect(
      (
        await t.app.request(`/t/keys/v1/admin/users/${login.userId}`, {
          method: "PATCH",
          headers: { ...JSON_HEADERS, Authorization: `Bearer ${TEST_ADMIN_KEY}` },
          body: JSON.stringify({ scopes: ["admin"] }),
        })
      ).status,
    ).toBe(200);
    const tokensFor = async (scope: string): Promise<TokenBody & { scope: string }> => {
      const authTime = Math.floor(clock.now().getTime() / 1000);
      const { code, verifier } = await fx.code({ clientId: app.client_id, ...login, scope, authTime });
      const form = { grant_type: "authorization_code", code, redirect_uri: REDIRECT_URI, code_verifier: verifier };
      const response = await tokenRequest(t, "keys", form, { Authorization: basicAuth(app) });
      expect(response.status, await response.clone().text()).toBe(200);
      return response.json();
    };
    const withoutAdmin = await tokensFor("openid email");
    expect(withoutAdmin.scope).toBe("openid email");
    expectProblem(await readAnswer(await createKey(withoutAdmin, { name: "x", scopes: ["admin"] })), 403, "forbidden");
    const withAdmin = await tokensFor("openid email admin");
    expect(withAdmin.scope).toBe("openid email admin");
    await newKey(withAdmin, ["admin", "tokens:introspect"]);
  });

  it("enforces scopes on every service route: 401 without a valid key, 403 without the scope", async () => {
    const weak = (await newKey(admin, ["openid"])).key;
    const routes: [string, string, unknown][] = [
      ["POST", "/t/keys/v1/api-keys/verify", { key: weak }],
      ["POST", "/t/keys/v1/introspect", { token: "x" }],
      ["POST", "/t/keys/v1/revoke", { token: "x" }],
      ["PUT", "/t/keys/v1/admin/redirect-uris", { redirect_uris: [] }],
      ["POST", "/t/keys/v1/admin/signing-keys/rotate", {}],
    ];
    for (const [method, path, body] of routes) {
      const request = (headers: Record<string, string>) =>
        t.app.request(path, { method, headers, body: JSON.stringify(body) });
      const lacking = await request(bearer(weak));
      expectProblem(await readAnswer(lacking), 403, "forbidden");
      // RFC 6750 §3: the challenge names the scope the route needs.
      const needed = path.includes("/admin/")
        ? "admin"
        : path.endsWith("/verify")
          ? "api_keys:verify"
          : "tokens:introspect";
      expect(lacking.headers.get("www-authenticate")).toBe(
        `Bearer realm="${TEST_PUBLIC_URL}/t/keys", error="insufficient_scope", scope="${needed}"`,
      );
      expectProblem(await readAnswer(await request(JSON_HEADERS)), 401, "unauthorized");
      // A different last checksum character (one that is not already there: 1 chance in 62).
      const wrongChecksum = `${weak.slice(0, -1)}${weak.endsWith("0") ? "1" : "0"}`;
      expectProblem(await readAnswer(await request(bearer(wrongChecksum))), 401, "invalid_token");
    }
    const adminKey = (await newKey(admin, ["admin"])).key;
    const put = await t.app.request("/t/keys/v1/admin/redirect-uris", {
      method: "PUT",
      headers: bearer(adminKey),
      body: JSON.stringify({ redirect_uris: ["https://a.example/cb"] }),
    });
    expect(put.status).toBe(200);
  });

  it("keeps a key of one tenant useless at another", async () => {
    const otherAdmin = await user("other", "admin@example.com", ["admin"]);
    const foreign = (await newKey(otherAdmin, ["api_keys:verify", "admin"], {}, "other")).key;
    expectProblem(await readAnswer(await verify(foreign, foreign, "keys")), 401, "invalid_token");
    const local = (await newKey(admin, ["api_keys:verify"])).key;
    expect(await (await verify(local, foreign)).json()).toEqual({ valid: false });
    expect(await (await verify(foreign, foreign, "other")).json()).toMatchObject({ valid: true });
  });

  it("drops scopes from keys whose owner lost them", async () => {
    const owner = await user("keys", "demoted@example.com", ["admin"]);
    const { key } = await newKey(owner, ["admin"]);
    await db.query(
      "UPDATE users SET scopes = '[]' WHERE email_index IS NOT NULL AND id = (SELECT user_id FROM api_keys WHERE prefix = $1)",
      [key.slice(0, 9)],
    );
    clock.advance(120_000); // past the verification cache
    const rotate = await t.app.request("/t/keys/v1/admin/signing-keys/rotate", {
      method: "POST",
      headers: bearer(key),
    });
    expectProblem(await readAnswer(rotate), 403, "forbidden");
  });
});
