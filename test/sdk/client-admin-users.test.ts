/**
 * The SDK client's administration of users, service keys and the audit trail
 * against the real service: listing (pages walked with `pages`), reading,
 * changing, disabling and deleting users, a user's sessions, revoking them
 * (with the user's API keys), service keys, audit events, and the errors
 * (404, 400 for a foreign cursor, 403 `reauthentication_required`,
 * 403 `account_disabled`) as typed results.
 */
import { type AdminUser, createClient, pages } from "@authority/sdk/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Clock } from "../../src/core/ports/clock.js";
import {
  countingFetch,
  email,
  expectFailure,
  GOOD_PASSWORD,
  type ServedApp,
  startServedApp,
  TEST_ADMIN_KEY,
  tokensOf,
  unwrap,
} from "./client-harness.js";

const TENANT = "admu";
let s: ServedApp;
let admin: ReturnType<typeof createClient>;
let verifier: ReturnType<typeof createClient>;
/** The service's clock runs this far ahead of the wall clock. */
let offsetMs = 0;
const clock: Clock = { now: () => new Date(Date.now() + offsetMs) };

const userClient = () => createClient({ baseUrl: s.baseUrl, tenant: TENANT });
async function signedUp(name = "u") {
  const c = userClient();
  const signed = tokensOf(await c.signup({ email: email(name), password: GOOD_PASSWORD, name: "Ann" }));
  return { c, user: signed.user, token: signed.access_token };
}
const isValid = async (key: string) => {
  const verdict = unwrap(await verifier.apiKeys.verify(key));
  return verdict.valid;
};

beforeAll(async () => {
  s = await startServedApp({ clock });
  unwrap(await s.admin.admin.createTenant({ slug: TENANT, name: "Admin users" }));
  admin = s.admin.withTenant(TENANT);
  const verifyKey = unwrap(await admin.admin.createServiceKey({ name: "verify", scopes: ["api_keys:verify"] }));
  verifier = createClient({ baseUrl: s.baseUrl, tenant: TENANT, apiKey: verifyKey.key });
});
afterAll(async () => {
  await s?.close();
});

describe("users", () => {
  it("lists users a page at a time (pages walks every page once), finds one by email, refuses a foreign cursor", async () => {
    const created = [];
    for (let i = 0; i < 5; i++) created.push((await signedUp("list")).user);
    const seen: AdminUser[] = [];
    let walked = 0;
    for await (const page of pages((cursor) => admin.admin.listUsers({ limit: 2, cursor }))) {
      walked++;
      seen.push(...unwrap(page).users);
      expect(unwrap(page).users.length).toBeLessThanOrEqual(2);
    }
    expect(walked).toBe(Math.ceil(seen.length / 2));
    expect(new Set(seen.map((u) => u.id)).size).toBe(seen.length);
    expect(seen.map((u) => u.id)).toEqual(expect.arrayContaining(created.map((u) => u.id)));

    const first = unwrap(await admin.admin.listUsers({ limit: 2 }));
    expect(first.next_cursor).toEqual(expect.any(String));
    const one = created[2] as (typeof created)[number];
    const found = unwrap(await admin.admin.listUsers({ email: one.email.toUpperCase() }));
    expect(found).toEqual({ users: [expect.objectContaining({ id: one.id, email: one.email })], next_cursor: null });

    expectFailure(await admin.admin.listUsers({ cursor: "not-a-cursor" }), 400, "validation_failed");
    expectFailure(await admin.admin.listUsers({ limit: 0 }), 400, "validation_failed");
  });

  it("reads a user (AdminUser: sub, scopes, state) and the user's sessions; 404 for an unknown user", async () => {
    const { user } = await signedUp("read");
    const read = unwrap(await admin.admin.getUser(user.id));
    expect(read).toEqual({
      ...user,
      scopes: [],
      disabled: false,
      updated_at: expect.any(String),
      last_login_at: expect.toBeOneOf([null, expect.any(String)]),
    });
    expect(read.sub).toBe(user.id);
    const sessions = unwrap(await admin.admin.listUserSessions(user.id)).sessions;
    expect(sessions).toHaveLength(1);
    expect(sessions[0]).toMatchObject({ auth_method: expect.any(String), current: false });
    expectFailure(await admin.admin.getUser(crypto.randomUUID()), 404, "not_found");
    expectFailure(await admin.admin.getUser("not-a-uuid"), 404, "not_found");
    expectFailure(await admin.admin.listUserSessions(crypto.randomUUID()), 404, "not_found");
  });

  it("changes scopes and name (PATCH, sent once even after a 503); 400 for an unknown field, 404 for an unknown user", async () => {
    const { user } = await signedUp("patch");
    const changed = unwrap(await admin.admin.updateUser(user.id, { scopes: ["reports:read"], name: "Bea" }));
    expect(changed).toMatchObject({ id: user.id, scopes: ["reports:read"], name: "Bea", disabled: false });
    expect(unwrap(await admin.admin.getUser(user.id))).toMatchObject({ scopes: ["reports:read"], name: "Bea" });

    const counting = countingFetch(async () => new Response("busy", { status: 503 }));
    const busy = createClient({
      baseUrl: s.baseUrl,
      tenant: TENANT,
      apiKey: "k",
      fetch: counting.fetch,
      retries: { retries: 2, baseDelayMs: 1 },
    });
    expect(await busy.admin.updateUser(user.id, { name: "x" })).toMatchObject({ ok: false, kind: "http", status: 503 });
    expect(counting.count(`/admin/users/${user.id}`, "PATCH")).toBe(1);
    expect(await busy.admin.getUser(user.id)).toMatchObject({ ok: false, status: 503, attempts: 3 });

    const unknownField = await admin.admin.updateUser(user.id, { role: "root" } as never);
    expectFailure(unknownField, 400, "validation_failed");
    expectFailure(await admin.admin.updateUser(crypto.randomUUID(), { name: "x" }), 404, "not_found");
  });

  it("disabling ends sessions and API keys at once and refuses logins (403 account_disabled); enabling does not restore keys", async () => {
    const { c, user } = await signedUp("disable");
    const key = unwrap(await c.apiKeys.create({ name: "mine", scopes: ["openid"] })).key;
    expect(await isValid(key)).toBe(true);
    expect(unwrap(await admin.admin.updateUser(user.id, { disabled: true })).disabled).toBe(true);
    expectFailure(await c.me(), 401, "token_revoked");
    expect(await isValid(key)).toBe(false);
    expectFailure(await c.login({ email: user.email, password: GOOD_PASSWORD }), 403, "account_disabled");

    unwrap(await admin.admin.updateUser(user.id, { disabled: false }));
    unwrap(await c.login({ email: user.email, password: GOOD_PASSWORD }));
    expect(await isValid(key)).toBe(false);
  });

  it("revokes sessions only, or with include_api_keys the user's keys too; 404 for an unknown user", async () => {
    const { c, user } = await signedUp("revoke");
    const key = unwrap(await c.apiKeys.create({ name: "mine", scopes: ["openid"] })).key;
    const counting = countingFetch();
    const recording = createClient({
      baseUrl: s.baseUrl,
      tenant: TENANT,
      apiKey: TEST_ADMIN_KEY,
      fetch: counting.fetch,
    });
    expect(await recording.admin.revokeUserSessions(user.id)).toMatchObject({ ok: true, status: 204 });
    expect(counting.sent.at(-1)?.url).not.toContain("include_api_keys");
    expectFailure(await c.me(), 401, "token_revoked");
    expect(await isValid(key)).toBe(true);

    expect(await admin.admin.revokeUserSessions(user.id, { include_api_keys: true })).toMatchObject({ status: 204 });
    expect(await isValid(key)).toBe(false);
    expectFailure(await admin.admin.revokeUserSessions(crypto.randomUUID()), 404, "not_found");
  });

  it("deletes a user (204): sessions and keys end, the address logs in no more; then 404", async () => {
    const { c, user } = await signedUp("delete");
    const key = unwrap(await c.apiKeys.create({ name: "mine", scopes: ["openid"] })).key;
    expect(await admin.admin.deleteUser(user.id)).toMatchObject({ ok: true, status: 204 });
    expectFailure(await c.me(), 401, "token_revoked");
    expect(await isValid(key)).toBe(false);
    expectFailure(await c.login({ email: user.email, password: GOOD_PASSWORD }), 401, "invalid_credentials");
    expectFailure(await admin.admin.getUser(user.id), 404, "not_found");
    expectFailure(await admin.admin.deleteUser(user.id), 404, "not_found");
  });
});

describe("service keys", () => {
  it("creates a service key (201, shown once) that acts with exactly its scopes and verifies with user_id null", async () => {
    const created = await admin.admin.createServiceKey({ name: "introspector", scopes: ["tokens:introspect"] });
    expect(created.status).toBe(201);
    const key = unwrap(created);
    expect(key).toMatchObject({
      name: "introspector",
      scopes: ["tokens:introspect"],
      key: expect.stringMatching(/^sk_/),
    });
    expect(unwrap(await verifier.apiKeys.verify(key.key))).toMatchObject({
      valid: true,
      key_id: key.id,
      user_id: null,
    });
    const service = createClient({ baseUrl: s.baseUrl, tenant: TENANT, apiKey: key.key });
    const { token } = await signedUp("svc");
    expect(unwrap(await service.introspect({ token }))).toMatchObject({ active: true });
    expectFailure(await service.admin.listUsers(), 403, "forbidden");
    expectFailure(await admin.admin.createServiceKey({ name: "", scopes: [] }), 400, "validation_failed");
  });

  it("lists every key of the tenant with user_id, or one user's; revokes any key (204, at once); 404 and 400", async () => {
    const { c, user } = await signedUp("keys");
    const mine = unwrap(await c.apiKeys.create({ name: "mine", scopes: ["openid"] }));
    const service = unwrap(await admin.admin.createServiceKey({ name: "svc", scopes: ["reports:read"] }));
    const all = unwrap(await admin.admin.listApiKeys()).api_keys;
    expect(all).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: mine.id, user_id: user.id, name: "mine" }),
        expect.objectContaining({ id: service.id, user_id: null, name: "svc" }),
      ]),
    );
    expect(JSON.stringify(all)).not.toContain(mine.key);
    expect(JSON.stringify(all)).not.toContain(service.key);
    const users = unwrap(await admin.admin.listApiKeys({ user_id: user.id })).api_keys;
    expect(users.map((k) => k.id)).toEqual([mine.id]);
    expectFailure(await admin.admin.listApiKeys({ user_id: "nobody" }), 400, "validation_failed");
    const walked: string[] = [];
    for await (const page of pages((cursor) => admin.admin.listApiKeys({ limit: 1, cursor }))) {
      walked.push(...unwrap(page).api_keys.map((k) => k.id));
    }
    expect(walked).toEqual(all.map((k) => k.id));
    const sessions: string[] = [];
    for await (const page of pages((cursor) => admin.admin.listUserSessions(user.id, { limit: 1, cursor }))) {
      sessions.push(...unwrap(page).sessions.map((x) => x.id));
    }
    expect(sessions).toHaveLength(1);

    expect(await admin.admin.revokeApiKey(mine.id)).toMatchObject({ ok: true, status: 204 });
    expect(await admin.admin.revokeApiKey(service.id)).toMatchObject({ ok: true, status: 204 });
    expect(await isValid(mine.key)).toBe(false);
    expect(await isValid(service.key)).toBe(false);
    expectFailure(await admin.admin.revokeApiKey(service.id), 404, "not_found");
  });

  it("a user's admin-scoped key needs a login within 5 minutes: 403 reauthentication_required after, 201 after a new login", async () => {
    const { c, user } = await signedUp("fresh");
    unwrap(await admin.admin.updateUser(user.id, { scopes: ["admin"] }));
    unwrap(await c.login({ email: user.email, password: GOOD_PASSWORD }));
    offsetMs = 5 * 60_000 + 1_000;
    try {
      expectFailure(await c.apiKeys.create({ name: "ops", scopes: ["admin"] }), 403, "reauthentication_required");
      unwrap(await c.apiKeys.create({ name: "plain", scopes: ["openid"] }));
      unwrap(await c.login({ email: user.email, password: GOOD_PASSWORD }));
      const ops = unwrap(await c.apiKeys.create({ name: "ops", scopes: ["admin"] }));
      const viaKey = createClient({ baseUrl: s.baseUrl, tenant: TENANT, apiKey: ops.key });
      unwrap(await viaKey.admin.getUser(user.id));
    } finally {
      offsetMs = 0;
    }
  });
});

describe("audit events", () => {
  it("lists admin writes newest first, filtered by action and target, a page at a time; 400 for a foreign cursor", async () => {
    const { user } = await signedUp("audit");
    for (const name of ["One", "Two", "Three"]) unwrap(await admin.admin.updateUser(user.id, { name }));
    const events = [];
    for await (const page of pages((cursor) =>
      admin.admin.listAuditEvents({ action: "admin.users.update", target_id: user.id, limit: 1, cursor }),
    )) {
      events.push(...unwrap(page).events);
    }
    expect(events).toHaveLength(3);
    for (const event of events) {
      expect(event).toMatchObject({
        action: "admin.users.update",
        actor: { type: "bootstrap" },
        target: { type: "user", id: user.id },
        details: { fields: ["name"] },
      });
    }
    const times = events.map((e) => Date.parse(e.at));
    expect(times).toEqual([...times].sort((a, b) => b - a));

    const byAction = unwrap(await admin.admin.listAuditEvents({ action: "admin.api_keys.create", limit: 100 }));
    expect(byAction.events.length).toBeGreaterThan(0);
    expect(byAction.events.every((e) => e.action === "admin.api_keys.create")).toBe(true);
    expectFailure(await admin.admin.listAuditEvents({ cursor: "bm90LWEtY3Vyc29y" }), 400, "validation_failed");
  });
});
