/**
 * API keys, introspection and revocation inside workerd (the built Worker:
 * neon-http, Upstash REST, the verification cache and its revocation
 * tombstone in Redis), and across runtimes: the Node app on the same Postgres
 * and the same Redis prefix verifies the Worker's keys, and its revocations
 * stop them on the Worker at once.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashApiKey } from "../../src/core/api-keys/key-format.js";
import { client, decode, type TokenBody } from "../support/accounts.js";
import { expectProblem, readAnswer } from "../support/problem.js";
import {
  type NodeTwin,
  startNodeTwin,
  startWorkerHarness,
  type WorkerHarness,
  type WorkerInstance,
} from "../support/runtime-worker.js";

type Fetch = (path: string, init?: RequestInit) => Promise<Response>;
type Json = Record<string, unknown>;
type Signed = TokenBody & { user: { id: string } };
interface Created {
  id: string;
  key: string;
  prefix: string;
}

let h: WorkerHarness;
let worker: WorkerInstance;
let onWorker: Fetch;
let api: ReturnType<typeof client>;
let twin: NodeTwin;
let onNode: Fetch;
let db: pg.Client;
let admin: TokenBody;
let plain: Signed;
let verifier: string;
let introspector: string;
let users = 0;

/** One request with an optional Bearer token and a JSON or form-encoded body. */
function send(fetch: Fetch, method: string, path: string, token?: string, body?: unknown, form = false) {
  const headers: Record<string, string> = token ? { Authorization: `Bearer ${token}` } : {};
  if (body !== undefined) headers["Content-Type"] = form ? "application/x-www-form-urlencoded" : "application/json";
  const payload =
    body === undefined ? undefined : form ? new URLSearchParams(body as Record<string, string>) : JSON.stringify(body);
  return fetch(path, { method, headers, body: payload?.toString() });
}

async function signup(tenant = "edge"): Promise<Signed> {
  const response = await api.signup(tenant, `user${++users}@example.org`);
  expect(response.status, await response.clone().text()).toBe(201);
  return response.json();
}

/** Signs up, is granted admin in SQL, and logs in again so the token carries it. */
async function signupAdmin(tenant: string): Promise<TokenBody> {
  const user = await signup(tenant);
  await db.query(`UPDATE users SET scopes = '["admin"]' WHERE id = $1`, [user.user.id]);
  const login = await api.login(tenant, `user${users}@example.org`);
  expect(login.status).toBe(200);
  return login.json();
}

async function newKey(owner: TokenBody, scopes: string[], tenant = "edge", fetch = onWorker): Promise<Created> {
  const response = await send(fetch, "POST", `/t/${tenant}/v1/api-keys`, owner.access_token, { name: "k", scopes });
  expect(response.status, await response.clone().text()).toBe(201);
  expect(response.headers.get("cache-control")).toBe("no-store");
  return response.json();
}

const verify = async (key: string, { fetch = onWorker, caller = verifier, tenant = "edge" } = {}) =>
  (await (await send(fetch, "POST", `/t/${tenant}/v1/api-keys/verify`, caller, { key })).json()) as Json;
const revokeKey = (owner: TokenBody, id: string, fetch = onWorker) =>
  send(fetch, "DELETE", `/t/edge/v1/api-keys/${id}`, owner.access_token);
const introspect = async (token: string, form = false) =>
  (await (await send(onWorker, "POST", "/t/edge/v1/introspect", introspector, { token }, form)).json()) as Json;
/** The verification cache entry under the Worker's prefix, read through the Node adapter. */
const cached = async (key: string) => twin.kv.get(`api-key:${await hashApiKey(key)}`);

beforeAll(async () => {
  h = await startWorkerHarness();
  worker = await h.start();
  onWorker = (path, init) => worker.request(path, init);
  api = client(onWorker, h.adminKey);
  // The Node app on the same database and the same Redis keys (the Worker's REDIS_KEY_PREFIX).
  twin = await startNodeTwin(h);
  const app = twin.app;
  onNode = async (path, init) => app.request(path, init);
  db = new pg.Client({ connectionString: h.database.url });
  await db.connect();
  await api.createTenant("edge");
  await api.createTenant("far");
  admin = await signupAdmin("edge");
  plain = await signup();
  verifier = (await newKey(admin, ["api_keys:verify"])).key;
  introspector = (await newKey(admin, ["tokens:introspect"])).key;
}, 60_000);

afterAll(async () => {
  await twin?.close();
  await db?.end();
  await h?.close();
}, 60_000);

describe("API keys inside workerd", () => {
  it("creates a key shown once, lists it without key material, verifies, and revokes it at once", async () => {
    const created = await newKey(plain, ["openid"]);
    expect(created.key).toMatch(/^sk_[0-9A-Za-z]{49}$/);
    expect(created.prefix).toBe(created.key.slice(0, 9));
    const listed = await send(onWorker, "GET", "/t/edge/v1/api-keys", plain.access_token);
    expect(listed.status).toBe(200);
    const text = await listed.text();
    expect(text).not.toContain(created.key);
    expect(text).not.toContain(await hashApiKey(created.key));
    const { api_keys } = JSON.parse(text) as { api_keys: Json[] };
    expect(api_keys).toHaveLength(1);
    expect(api_keys[0]).toMatchObject({ id: created.id, prefix: created.prefix, scopes: ["openid"], expires_at: null });
    expect(Object.keys(api_keys[0] ?? {}).sort()).toEqual(
      ["created_at", "expires_at", "id", "last_used_at", "name", "prefix", "scopes"].sort(),
    );

    expect(await verify(created.key)).toEqual({
      valid: true,
      key_id: created.id,
      user_id: plain.user.id,
      tenant_id: decode(plain.access_token).claims.tid,
      scopes: ["openid"],
      expires_at: null,
    });
    // Served from the Redis cache from now on; a tampered checksum never gets that far.
    expect(JSON.parse((await cached(created.key)) ?? "{}")).toMatchObject({ id: created.id });
    const last = created.key.at(-1) === "a" ? "b" : "a";
    expect(await verify(`${created.key.slice(0, -1)}${last}`)).toEqual({ valid: false });

    expect((await revokeKey(plain, created.id)).status).toBe(204);
    expect(await cached(created.key)).toBe("revoked");
    expect(await verify(created.key)).toEqual({ valid: false });
    expectProblem(await readAnswer(await revokeKey(plain, created.id)), 404, "not_found");
    // The last use is recorded after the response (waitUntil).
    await expect
      .poll(async () => (await db.query("SELECT last_used_at FROM api_keys WHERE id = $1", [created.id])).rows[0])
      .toMatchObject({ last_used_at: expect.any(Date) });
    const logs = worker.logs.join("\n");
    expect(logs).toContain(created.id);
    for (const secret of [created.key, verifier, introspector]) expect(logs).not.toContain(secret);
  });

  it("answers 401 without a valid key and 403 without the scope, as problem+json", async () => {
    const weak = (await newKey(plain, ["openid"])).key;
    for (const path of ["/t/edge/v1/api-keys/verify", "/t/edge/v1/introspect", "/t/edge/v1/revoke"]) {
      const body = { key: weak, token: "x" };
      expectProblem(await readAnswer(await send(onWorker, "POST", path, weak, body)), 403, "forbidden");
      expectProblem(await readAnswer(await send(onWorker, "POST", path, undefined, body)), 401, "unauthorized");
      const bad = `${weak.slice(0, -1)}${weak.at(-1) === "0" ? "1" : "0"}`;
      expectProblem(await readAnswer(await send(onWorker, "POST", path, bad, body)), 401, "invalid_token");
    }
    // Service scopes only for admins.
    const refused = await send(onWorker, "POST", "/t/edge/v1/api-keys", plain.access_token, {
      name: "x",
      scopes: ["api_keys:verify"],
    });
    expectProblem(await readAnswer(refused), 403, "forbidden");
  });

  it("keeps a key of one tenant useless at another", async () => {
    const farAdmin = await signupAdmin("far");
    const foreign = (await newKey(farAdmin, ["api_keys:verify", "tokens:introspect"], "far")).key;
    const answer = await send(onWorker, "POST", "/t/edge/v1/api-keys/verify", foreign, { key: verifier });
    expectProblem(await readAnswer(answer), 401, "invalid_token");
    const intro = await send(onWorker, "POST", "/t/edge/v1/introspect", foreign, { token: admin.access_token });
    expectProblem(await readAnswer(intro), 401, "invalid_token");
    expect(await verify(foreign)).toEqual({ valid: false });
    expect(await verify(foreign, { caller: foreign, tenant: "far" })).toMatchObject({ valid: true });
  });
});

describe("introspection and revocation inside workerd", () => {
  it("describes an active access token and a refresh token, from JSON and form bodies", async () => {
    const s = await signup();
    const claims = decode(s.access_token).claims;
    for (const form of [false, true]) {
      expect(await introspect(s.access_token, form)).toEqual({
        active: true,
        token_type: "Bearer",
        sub: s.user.id,
        sid: s.session_id,
        tid: claims.tid,
        scope: "openid profile email",
        client_id: "first-party",
        exp: claims.exp,
        iat: claims.iat,
        nbf: claims.nbf,
        iss: claims.iss,
        aud: claims.aud,
        jti: claims.jti,
      });
      const refresh = await introspect(s.refresh_token, form);
      expect(refresh).toMatchObject({
        active: true,
        token_type: "refresh_token",
        sub: s.user.id,
        sid: s.session_id,
        tid: claims.tid,
        iss: claims.iss,
      });
      // Issued with the access token, at the login (a second boundary may fall between them).
      expect(Math.abs(Number(refresh.iat) - Number(claims.iat))).toBeLessThanOrEqual(1);
      for (const junk of ["garbage", "", "rt1.x.y", `${s.access_token}x`]) {
        expect(await introspect(junk, form)).toEqual({ active: false });
      }
    }
  });

  it("revokes a refresh token's session: its access token gets 401 token_revoked", async () => {
    const s = await signup();
    const body = { token: s.refresh_token, token_type_hint: "refresh_token" };
    expect((await send(onWorker, "POST", "/t/edge/v1/revoke", introspector, body, true)).status).toBe(200);
    const me = await readAnswer(await api.me("edge", s.access_token));
    expectProblem(me, 401, "token_revoked");
    expectProblem(await readAnswer(await api.refresh("edge", s.refresh_token)), 401, "invalid_grant");
    expect(await introspect(s.access_token)).toEqual({ active: false });
    expect(await introspect(s.refresh_token, true)).toEqual({ active: false });
    // Unknown tokens are 200 too, changing nothing.
    expect((await send(onWorker, "POST", "/t/edge/v1/revoke", introspector, { token: "unknown" })).status).toBe(200);
  });
});

describe("across runtimes, on one Postgres and one Redis", () => {
  it("verifies on Node a key made on the Worker; a revocation on Node stops it on the Worker at once", async () => {
    const created = await newKey(plain, ["openid"]);
    // Both runtimes answer from the same cache entry, warm from the Worker's verification.
    expect(await verify(created.key)).toMatchObject({ valid: true, key_id: created.id });
    expect(await verify(created.key, { fetch: onNode })).toMatchObject({ valid: true, key_id: created.id });
    expect((await revokeKey(plain, created.id, onNode)).status).toBe(204);
    expect(await cached(created.key)).toBe("revoked");
    expect(await verify(created.key)).toEqual({ valid: false });
    expect(await verify(created.key, { fetch: onNode })).toEqual({ valid: false });
    expectProblem(await readAnswer(await revokeKey(plain, created.id)), 404, "not_found");
  });

  it("verifies on the Worker a key made on Node, and a Worker revocation stops it on Node", async () => {
    const created = await newKey(plain, ["openid"], "edge", onNode);
    expect(await verify(created.key, { fetch: onNode })).toMatchObject({ valid: true, key_id: created.id });
    expect(await verify(created.key)).toMatchObject({ valid: true, key_id: created.id });
    expect((await revokeKey(plain, created.id)).status).toBe(204);
    expect(await verify(created.key, { fetch: onNode })).toEqual({ valid: false });
  });

  it("revokes on Node, through the introspection key, a session the Worker serves", async () => {
    const s = await signup();
    expect((await send(onNode, "POST", "/t/edge/v1/revoke", introspector, { token: s.refresh_token })).status).toBe(
      200,
    );
    expectProblem(await readAnswer(await api.me("edge", s.access_token)), 401, "token_revoked");
  });
});

describe("administration of users and service credentials inside workerd", () => {
  const asAdmin = (fetch: Fetch, method: string, path: string, body?: unknown) =>
    send(fetch, method, path, h.adminKey, body);

  it("a user promoted by PATCH mints a service-scoped key after a fresh login", async () => {
    const user = await signup();
    const patched = await asAdmin(onWorker, "PATCH", `/t/edge/v1/admin/users/${user.user.id}`, { scopes: ["admin"] });
    expect(patched.status).toBe(200);
    const login = (await (await api.login("edge", `user${users}@example.org`)).json()) as TokenBody;
    const created = await newKey(login, ["tokens:introspect"]);
    expect(await verify(created.key)).toMatchObject({ valid: true, user_id: user.user.id });
  });

  it("a service key made by the admin introspects tokens and verifies with user_id null", async () => {
    const made = await asAdmin(onWorker, "POST", "/t/edge/v1/admin/api-keys", {
      name: "svc",
      scopes: ["tokens:introspect"],
    });
    expect(made.status).toBe(201);
    const service = (await made.json()) as Created;
    const s = await signup();
    const active = await send(onWorker, "POST", "/t/edge/v1/introspect", service.key, { token: s.access_token });
    expect(await active.json()).toMatchObject({ active: true, sub: s.user.id });
    expect(await verify(service.key)).toMatchObject({ valid: true, user_id: null, scopes: ["tokens:introspect"] });
    const listed = (await (await asAdmin(onWorker, "GET", "/t/edge/v1/admin/api-keys")).json()) as { api_keys: Json[] };
    expect(listed.api_keys.find((k) => k.id === service.id)).toMatchObject({ user_id: null });
    // Deleted on Node: refused on the Worker at once, though cached there.
    expect((await asAdmin(onNode, "DELETE", `/t/edge/v1/admin/api-keys/${service.id}`)).status).toBe(204);
    expect(await verify(service.key)).toEqual({ valid: false });
  });

  it("disabling a user on one runtime ends their tokens and cached keys on the other at once", async () => {
    const user = await signup();
    const key = await newKey(user, ["openid"]);
    expect(await verify(key.key)).toMatchObject({ valid: true });
    expect(await verify(key.key, { fetch: onNode })).toMatchObject({ valid: true });
    const disabled = await asAdmin(onNode, "PATCH", `/t/edge/v1/admin/users/${user.user.id}`, { disabled: true });
    expect(disabled.status).toBe(200);
    expect(await verify(key.key)).toEqual({ valid: false });
    expectProblem(await readAnswer(await api.me("edge", user.access_token)), 401, "token_revoked");
    expectProblem(await readAnswer(await api.refresh("edge", user.refresh_token)), 401, "invalid_grant");

    const other = await signup();
    const otherKey = await newKey(other, ["openid"], "edge", onNode);
    expect(await verify(otherKey.key, { fetch: onNode })).toMatchObject({ valid: true });
    expect((await asAdmin(onWorker, "DELETE", `/t/edge/v1/admin/users/${other.user.id}`)).status).toBe(204);
    expect(await verify(otherKey.key, { fetch: onNode })).toEqual({ valid: false });
  });

  it("lists users a page at a time, finds one by email, and refuses a bad cursor", async () => {
    const first = (await (await asAdmin(onWorker, "GET", "/t/edge/v1/admin/users?limit=2")).json()) as {
      users: Json[];
      next_cursor: string;
    };
    expect(first.users).toHaveLength(2);
    const path = `/t/edge/v1/admin/users?limit=2&cursor=${encodeURIComponent(first.next_cursor)}`;
    const second = (await (await asAdmin(onWorker, "GET", path)).json()) as { users: Json[] };
    const onNodeToo = (await (await asAdmin(onNode, "GET", path)).json()) as { users: Json[] };
    expect(second.users.map((u) => u.id)).toEqual(onNodeToo.users.map((u) => u.id));
    for (const u of second.users) expect(first.users.map((x) => x.id)).not.toContain(u.id);
    const found = (await (
      await asAdmin(onWorker, "GET", `/t/edge/v1/admin/users?email=${encodeURIComponent(" USER1@Example.org")}`)
    ).json()) as { users: Json[] };
    expect(found.users.map((u) => u.email)).toEqual(["user1@example.org"]);
    const bad = await asAdmin(onWorker, "GET", "/t/edge/v1/admin/users?cursor=nope!");
    expectProblem(await readAnswer(bad), 400, "validation_failed");
  });
});
