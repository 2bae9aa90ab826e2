/**
 * Service credentials on real Postgres and Redis: service keys of the tenant,
 * a fresh login to mint powerful keys, and the end of every credential of a
 * disabled or deleted user at once (keys already in the verification cache
 * included).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JSON_HEADERS, type TokenBody } from "../support/accounts.js";
import { TEST_ADMIN_KEY } from "../support/app.js";
import { expectProblem, readAnswer } from "../support/problem.js";
import { type SessionsApp, startSessionsApp } from "../support/sessions.js";

type Json = Record<string, unknown>;
interface Created {
  id: string;
  key: string;
  prefix: string;
}

let s: SessionsApp;
beforeAll(async () => {
  s = await startSessionsApp();
});
afterAll(async () => {
  await s.close();
});

const bearer = (token: string) => ({ ...JSON_HEADERS, Authorization: `Bearer ${token}` });
const admin = bearer(TEST_ADMIN_KEY);
const send = (method: string, path: string, headers: Record<string, string>, body?: unknown) =>
  s.t.app.request(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });

const patchUser = (id: string, body: Json) => send("PATCH", `/t/acme/v1/admin/users/${id}`, admin, body);
const serviceKey = async (scopes: string[], caller = admin): Promise<Created> => {
  const response = await send("POST", "/t/acme/v1/admin/api-keys", caller, { name: "svc", scopes });
  expect(response.status, await response.clone().text()).toBe(201);
  expect(response.headers.get("cache-control")).toBe("no-store");
  return response.json();
};
const userKey = (owner: TokenBody, scopes: string[]) =>
  send("POST", "/t/acme/v1/api-keys", bearer(owner.access_token), { name: "mine", scopes });
async function newUserKey(owner: TokenBody, scopes: string[]): Promise<Created> {
  const response = await userKey(owner, scopes);
  expect(response.status, await response.clone().text()).toBe(201);
  return response.json();
}
const verify = async (key: string) =>
  (await (await send("POST", "/t/acme/v1/api-keys/verify", admin, { key })).json()) as Json;
const listKeys = async (query = "") =>
  ((await (await send("GET", `/t/acme/v1/admin/api-keys${query}`, admin)).json()) as { api_keys: Json[] }).api_keys;
/** Signs up and, when asked, is made admin through PATCH then logs in again (a fresh login). */
async function person(scopes: string[] = []): Promise<TokenBody & { user: { id: string }; email: string }> {
  const signed = await s.signup();
  const email = s.lastEmail();
  if (scopes.length === 0) return { ...signed, email };
  expect((await patchUser(signed.user.id, { scopes })).status).toBe(200);
  const login = await s.api.login("acme", email);
  expect(login.status).toBe(200);
  return { ...((await login.json()) as TokenBody), user: signed.user, email };
}

describe("powerful keys need a fresh login", () => {
  it("a user promoted by PATCH creates a service-scoped key after logging in again", async () => {
    const promoted = await person(["admin"]);
    const key = await newUserKey(promoted, ["tokens:introspect", "api_keys:verify", "admin"]);
    expect(await verify(key.key)).toMatchObject({
      valid: true,
      user_id: promoted.user.id,
      scopes: ["tokens:introspect", "api_keys:verify", "admin"],
    });
  });

  it("refuses admin and service scopes with 403 reauthentication_required after 5 minutes, even refreshed", async () => {
    const promoted = await person(["admin"]);
    s.clock.advance(5 * 60_000 + 1_000);
    // A refresh gives a new access token but keeps the time of the login (auth_time).
    const refreshed = await s.refreshOk("acme", promoted.refresh_token);
    for (const scopes of [["admin"], ["tokens:introspect"], ["api_keys:verify"], ["openid", "admin"]]) {
      for (const token of [promoted, refreshed]) {
        expectProblem(await readAnswer(await userKey(token, scopes)), 403, "reauthentication_required");
      }
    }
    // Ordinary scopes need no fresh login.
    await newUserKey(refreshed, ["openid"]);
    // A user who may not grant the scope at all is told that first.
    const plain = await person();
    s.clock.advance(5 * 60_000 + 1_000);
    expectProblem(await readAnswer(await userKey(plain, ["admin"])), 403, "forbidden");
    // Logging in again is enough.
    const again = (await (await s.api.login("acme", promoted.email)).json()) as TokenBody;
    await newUserKey(again, ["admin"]);
  });

  it("does not apply to admin API-key callers nor to the bootstrap key", async () => {
    const byBootstrap = await serviceKey(["admin"]);
    s.clock.advance(60 * 60_000);
    await serviceKey(["tokens:introspect"], bearer(byBootstrap.key));
  });
});

describe("service keys of the tenant", () => {
  it("introspect tokens with their own scopes, verify with user_id null, and stop at once when deleted", async () => {
    const introspector = await serviceKey(["tokens:introspect"]);
    const someone = await person();
    const introspect = () =>
      send("POST", "/t/acme/v1/introspect", bearer(introspector.key), { token: someone.access_token });
    expect(await (await introspect()).json()).toMatchObject({ active: true, sub: someone.user.id });
    expect(await verify(introspector.key)).toMatchObject({
      valid: true,
      key_id: introspector.id,
      user_id: null,
      scopes: ["tokens:introspect"],
    });
    const listed = (await listKeys()).find((k) => k.id === introspector.id);
    expect(listed).toMatchObject({ user_id: null, scopes: ["tokens:introspect"], prefix: introspector.prefix });
    expect(JSON.stringify(await listKeys())).not.toContain(introspector.key);

    // Verified and cached above; the deletion still stops it at once.
    const removed = await send("DELETE", `/t/acme/v1/admin/api-keys/${introspector.id}`, admin);
    expect(removed.status).toBe(204);
    expectProblem(await readAnswer(await introspect()), 401, "invalid_token");
    expect(await verify(introspector.key)).toEqual({ valid: false });
    expect((await listKeys()).map((k) => k.id)).not.toContain(introspector.id);
    expectProblem(
      await readAnswer(await send("DELETE", `/t/acme/v1/admin/api-keys/${introspector.id}`, admin)),
      404,
      "not_found",
    );
  });

  it("lists every key of the tenant with its owner, filters by user, and revokes a user's key", async () => {
    const owner = await person();
    const own = await newUserKey(owner, ["openid"]);
    const service = await serviceKey(["reports:read"]);
    const all = await listKeys();
    expect(all.find((k) => k.id === own.id)).toMatchObject({ user_id: owner.user.id });
    expect(all.find((k) => k.id === service.id)).toMatchObject({ user_id: null });
    expect((await listKeys(`?user_id=${owner.user.id}`)).map((k) => k.id)).toEqual([own.id]);
    expect(await listKeys(`?user_id=${crypto.randomUUID()}`)).toEqual([]);
    expect((await send("DELETE", `/t/acme/v1/admin/api-keys/${own.id}`, admin)).status).toBe(204);
    expect(await verify(own.key)).toEqual({ valid: false });
  });

  it("keeps tenants apart and refuses bad input and callers without admin", async () => {
    const theirs = await s.signup("other");
    // A token of "other" is no token of "acme".
    expect((await userKey(theirs, [])).status).toBe(401);
    const otherKey = (await (
      await send("POST", "/t/other/v1/admin/api-keys", admin, { name: "theirs", scopes: ["openid"] })
    ).json()) as Created;
    expectProblem(
      await readAnswer(await send("DELETE", `/t/acme/v1/admin/api-keys/${otherKey.id}`, admin)),
      404,
      "not_found",
    );
    expect((await listKeys()).map((k) => k.id)).not.toContain(otherKey.id);
    for (const id of [crypto.randomUUID(), "nope"]) {
      expectProblem(await readAnswer(await send("DELETE", `/t/acme/v1/admin/api-keys/${id}`, admin)), 404, "not_found");
    }
    expectProblem(
      await readAnswer(await send("GET", "/t/acme/v1/admin/api-keys?user_id=nope", admin)),
      400,
      "validation_failed",
    );
    for (const body of [{ name: "", scopes: [] }, { name: "x", scopes: ["has space"] }, { name: "x" }]) {
      expectProblem(
        await readAnswer(await send("POST", "/t/acme/v1/admin/api-keys", admin, body)),
        400,
        "validation_failed",
      );
    }
    const past = { name: "x", scopes: [], expires_at: "2020-01-01T00:00:00Z" };
    expectProblem(
      await readAnswer(await send("POST", "/t/acme/v1/admin/api-keys", admin, past)),
      400,
      "validation_failed",
    );

    const user = await person(["admin"]);
    const weak = await serviceKey(["openid"]);
    for (const [method, path] of [
      ["POST", "/t/acme/v1/admin/api-keys"],
      ["GET", "/t/acme/v1/admin/api-keys"],
      ["DELETE", `/t/acme/v1/admin/api-keys/${weak.id}`],
    ] as const) {
      const body = method === "POST" ? { name: "x", scopes: [] } : undefined;
      // A user's access token is no API key, admin or not.
      expect((await send(method, path, bearer(user.access_token), body)).status).toBe(401);
      expectProblem(await readAnswer(await send(method, path, bearer(weak.key), body)), 403, "forbidden");
    }
  });
});

describe("a user's key follows its owner's scopes at once", () => {
  it("loses a scope taken from its owner, even cached, and cannot mint a lasting admin key with it", async () => {
    const user = await person(["admin"]);
    const key = await newUserKey(user, ["admin", "openid"]);
    const asKey = bearer(key.key);
    // Used, hence cached in Redis, before the owner's admin scope is taken away.
    expect((await send("GET", "/t/acme/v1/admin/users?limit=1", asKey)).status).toBe(200);
    expect(await verify(key.key)).toMatchObject({ valid: true, scopes: ["admin", "openid"] });

    expect((await patchUser(user.user.id, { scopes: [] })).status).toBe(200);
    expect(await verify(key.key)).toMatchObject({ valid: true, scopes: ["openid"] });
    expectProblem(await readAnswer(await send("GET", "/t/acme/v1/admin/users?limit=1", asKey)), 403, "forbidden");
    const minted = await send("POST", "/t/acme/v1/admin/api-keys", asKey, { name: "persist", scopes: ["admin"] });
    expectProblem(await readAnswer(minted), 403, "forbidden");
    // Past the marker's life the key is cached again, with what its owner holds then.
    s.clock.advance(10 * 60_000);
    expect(await verify(key.key)).toMatchObject({ valid: true, scopes: ["openid"] });
    expect((await patchUser(user.user.id, { scopes: ["admin"] })).status).toBe(200);
    expect((await send("GET", "/t/acme/v1/admin/users?limit=1", asKey)).status).toBe(200);
  });

  it("a verification that read the old scopes before the change cannot cache them after it", async () => {
    const user = await person(["admin"]);
    const key = await newUserKey(user, ["admin"]);
    // Read the key and its owner as a verification does, then let the change land before it caches.
    const { users } = s.t.deps.db;
    const findById = users.findById.bind(users);
    let changing = false;
    let changed: Response | undefined;
    users.findById = async (tenantId, id) => {
      const read = await findById(tenantId, id);
      if (id === user.user.id && !changing) {
        changing = true;
        changed = await patchUser(user.user.id, { scopes: [] });
      }
      return read;
    };
    try {
      expect(await verify(key.key)).toMatchObject({ valid: true, scopes: ["admin"] });
    } finally {
      users.findById = findById;
    }
    expect(changed?.status).toBe(200);
    expect(await verify(key.key)).toMatchObject({ valid: true, scopes: [] });
  });
});

describe("a disabled or deleted user's credentials end at once", () => {
  it("disabling stops access tokens, refresh tokens and API keys (already cached ones too); enabling brings no key back", async () => {
    const user = await person(["admin"]);
    const key = await newUserKey(user, ["admin", "openid"]);
    const other = await newUserKey(user, ["openid"]);
    // Both keys verified, hence cached in Redis, before the disable.
    expect(await verify(key.key)).toMatchObject({ valid: true });
    expect(await verify(other.key)).toMatchObject({ valid: true });
    const asKey = () => send("GET", `/t/acme/v1/admin/users/${user.user.id}`, bearer(key.key));
    expect((await asKey()).status).toBe(200);

    expect((await patchUser(user.user.id, { disabled: true })).status).toBe(200);
    await s.expectRevoked("acme", user.access_token);
    await s.expectInvalidGrant(await s.api.refresh("acme", user.refresh_token));
    expect(await verify(key.key)).toEqual({ valid: false });
    expect(await verify(other.key)).toEqual({ valid: false });
    expectProblem(await readAnswer(await asKey()), 401, "invalid_token");
    expect(await listKeys(`?user_id=${user.user.id}`)).toEqual([]);
    // Each key's end is in the audit trail, as a key revoked on its own is.
    const audit = await send("GET", `/t/acme/v1/admin/audit-events?action=api_key.revoked&target_id=${key.id}`, admin);
    expect(((await audit.json()) as { events: Json[] }).events).toHaveLength(1);

    expect((await patchUser(user.user.id, { disabled: false })).status).toBe(200);
    expect(await verify(key.key)).toEqual({ valid: false });
    s.clock.advance(10 * 60_000); // past the verification cache: Postgres says revoked too
    expect(await verify(other.key)).toEqual({ valid: false });
    expect((await s.api.login("acme", user.email)).status).toBe(200);
  });

  it("a key created for a user who is disabled meanwhile never verifies", async () => {
    const user = await person();
    const key = await newUserKey(user, ["openid"]);
    // As if the key had been inserted after the disable revoked the user's keys.
    await s.db.query("UPDATE users SET disabled_at = now(), updated_at = now() WHERE id = $1", [user.user.id]);
    expect(await verify(key.key)).toEqual({ valid: false });
  });

  it("deleting stops the user's keys at once and frees the email", async () => {
    const user = await person();
    const key = await newUserKey(user, ["openid"]);
    expect(await verify(key.key)).toMatchObject({ valid: true });
    expect((await send("DELETE", `/t/acme/v1/admin/users/${user.user.id}`, admin)).status).toBe(204);
    expect(await verify(key.key)).toEqual({ valid: false });
    await s.expectInvalidGrant(await s.api.refresh("acme", user.refresh_token));
    const again = await s.api.signup("acme", user.email);
    expect(again.status).toBe(201);
    expect(((await again.json()) as { user: { id: string } }).user.id).not.toBe(user.user.id);
  });

  it("revoke-sessions revokes the user's keys only with include_api_keys=true", async () => {
    const user = await person();
    const key = await newUserKey(user, ["openid"]);
    expect(await verify(key.key)).toMatchObject({ valid: true });
    const revoke = (query: string) =>
      send("POST", `/t/acme/v1/admin/users/${user.user.id}/revoke-sessions${query}`, admin);
    expect((await revoke("")).status).toBe(204);
    await s.expectRevoked("acme", user.access_token);
    expect(await verify(key.key)).toMatchObject({ valid: true });
    expectProblem(await readAnswer(await revoke("?include_api_keys=yes")), 400, "validation_failed");
    expect((await revoke("?include_api_keys=true")).status).toBe(204);
    expect(await verify(key.key)).toEqual({ valid: false });
  });
});
