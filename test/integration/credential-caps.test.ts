/**
 * What one user (or tenant) may pile up, on real Postgres and Redis: API keys
 * (100 a user, 1,000 service keys a tenant) and passkeys (50 a user) stop at
 * their cap with 409 `limit_reached`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_SERVICE_KEYS, MAX_USER_KEYS } from "../../src/core/api-keys/key-scopes.js";
import { MAX_PASSKEYS_PER_USER } from "../../src/core/mfa/passkeys.js";
import type { Tenant } from "../../src/core/ports/database.js";
import { newPasskey } from "../contract/seed.js";
import { JSON_HEADERS, type TokenBody } from "../support/accounts.js";
import { TEST_ADMIN_KEY, TEST_PUBLIC_URL } from "../support/app.js";
import { expectProblem, readAnswer } from "../support/problem.js";
import { type SessionsApp, startSessionsApp } from "../support/sessions.js";
import { SoftAuthenticator } from "../support/soft-authenticator.js";

type User = TokenBody & { user: { id: string } };

let s: SessionsApp;
let tenant: Tenant;
beforeAll(async () => {
  s = await startSessionsApp();
  await s.api.createTenant("caps");
  tenant = (await s.t.deps.db.tenants.findBySlug("caps")) as Tenant;
});
afterAll(async () => {
  await s.close();
});

const call = (token: string, method: string, path: string, body?: unknown) =>
  s.t.app.request(`/t/caps/v1${path}`, {
    method,
    headers: { ...JSON_HEADERS, Authorization: `Bearer ${token}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
const newKey = (token: string, path = "/api-keys") => call(token, "POST", path, { name: "k", scopes: ["openid"] });

/** `count` keys of the owner (null: service keys) straight into the table, as if created over time. */
async function seedKeys(userId: string | null, count: number, ended: { expiresAt?: Date; revokedAt?: Date } = {}) {
  const before = new Date(s.clock.now().getTime() - 86_400_000);
  await s.db.query(
    `INSERT INTO api_keys (id, tenant_id, user_id, name, prefix, key_hash, scopes, expires_at, revoked_at, created_at, updated_at)
     SELECT gen_random_uuid(), $1, $2, 'seeded', 'sk_seeded', md5(random()::text) || md5(random()::text), '[]', $4, $5, $6, $6
     FROM generate_series(1, $3)`,
    [tenant.id, userId, count, ended.expiresAt ?? null, ended.revokedAt ?? null, before],
  );
}
const usableKeys = async (userId: string) =>
  (
    await s.db.query(
      "SELECT count(*)::int AS n FROM api_keys WHERE user_id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)",
      [userId, s.clock.now()],
    )
  ).rows[0].n as number;

describe("API key caps", () => {
  it(`refuses a user's key beyond ${MAX_USER_KEYS} usable ones with 409 limit_reached; revoked and expired keys do not count`, async () => {
    const user: User = await s.signup("caps");
    await seedKeys(user.user.id, MAX_USER_KEYS - 1);
    const hourAgo = new Date(s.clock.now().getTime() - 3_600_000);
    await seedKeys(user.user.id, 3, { expiresAt: hourAgo });
    await seedKeys(user.user.id, 2, { revokedAt: hourAgo });
    expect((await newKey(user.access_token)).status).toBe(201);
    const refused = await readAnswer(await newKey(user.access_token));
    expectProblem(refused, 409, "limit_reached");
    expect(refused.json.detail).toContain(String(MAX_USER_KEYS));
    expect(await usableKeys(user.user.id)).toBe(MAX_USER_KEYS);
    // Revoking one makes room for one.
    const listed = (await (await call(user.access_token, "GET", "/api-keys?limit=1")).json()) as {
      api_keys: { id: string }[];
    };
    expect((await call(user.access_token, "DELETE", `/api-keys/${listed.api_keys[0]?.id}`)).status).toBe(204);
    expect((await newKey(user.access_token)).status).toBe(201);
    expectProblem(await readAnswer(await newKey(user.access_token)), 409, "limit_reached");
  });

  it("lets concurrent creations past the cap by no more than those in flight, and refuses every one after", async () => {
    const user: User = await s.signup("caps");
    await seedKeys(user.user.id, MAX_USER_KEYS - 10);
    const statuses = await Promise.all(
      Array.from({ length: 20 }, async () => (await newKey(user.access_token)).status),
    );
    expect(statuses.filter((status) => status === 201).length).toBeGreaterThanOrEqual(10);
    expect(statuses.every((status) => status === 201 || status === 409)).toBe(true);
    const held = await usableKeys(user.user.id);
    expect(held).toBeGreaterThanOrEqual(MAX_USER_KEYS);
    expect(held).toBeLessThan(MAX_USER_KEYS + 20);
    expectProblem(await readAnswer(await newKey(user.access_token)), 409, "limit_reached");
  });

  it(`refuses a service key beyond the tenant's ${MAX_SERVICE_KEYS} with 409 limit_reached; users' keys count apart`, async () => {
    await seedKeys(null, MAX_SERVICE_KEYS - 1);
    const serviceKey = () =>
      s.t.app.request("/t/caps/v1/admin/api-keys", {
        method: "POST",
        headers: { ...JSON_HEADERS, Authorization: `Bearer ${TEST_ADMIN_KEY}` },
        body: JSON.stringify({ name: "svc", scopes: ["api_keys:verify"] }),
      });
    expect((await serviceKey()).status).toBe(201);
    const refused = await readAnswer(await serviceKey());
    expectProblem(refused, 409, "limit_reached");
    expect(refused.json.detail).toContain(String(MAX_SERVICE_KEYS));
    const user: User = await s.signup("caps");
    expect((await newKey(user.access_token)).status).toBe(201);
  });
});

describe("passkey cap", () => {
  const ORIGIN = TEST_PUBLIC_URL;
  const post = (path: string, body?: unknown, token?: string) =>
    s.t.app.request(`/t/caps/v1${path}`, {
      method: "POST",
      headers: { ...JSON_HEADERS, ...(token ? { Authorization: `Bearer ${token}` } : {}) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const options = async (token: string) => {
    const response = await post("/mfa/passkeys/registration/options", undefined, token);
    expect(response.status, await response.clone().text()).toBe(200);
    return (await response.json()) as Parameters<SoftAuthenticator["register"]>[0];
  };
  const register = async (token: string, authenticator: SoftAuthenticator, creation?: unknown) =>
    post(
      "/mfa/passkeys/registration",
      { response: await authenticator.register((creation ?? (await options(token))) as never, { origin: ORIGIN }) },
      token,
    );

  it(`refuses a passkey beyond ${MAX_PASSKEYS_PER_USER}, at the options and at the registration, with 409 limit_reached`, async () => {
    const user: User = await s.signup("caps");
    const authenticator = await SoftAuthenticator.create();
    expect((await register(user.access_token, authenticator)).status).toBe(201);
    // A passwordless login with it: adding another factor needs one (step-up).
    const started = (await (await post("/passkeys/authentication/options")).json()) as {
      challenge_id: string;
      options: { challenge: string; rpId: string };
    };
    const login = await post("/passkeys/authentication", {
      challenge_id: started.challenge_id,
      response: await authenticator.assert(started.options, { origin: ORIGIN }),
    });
    expect(login.status, await login.clone().text()).toBe(200);
    const token = ((await login.json()) as TokenBody).access_token;

    const seed = async (count: number) => {
      for (let i = 0; i < count; i++) {
        const stored = await s.t.deps.db.passkeys.create(
          newPasskey({ tenantId: tenant.id, userId: user.user.id }, s.clock.now()),
          1_000,
        );
        expect(stored).toMatchObject({ userId: user.user.id });
      }
    };
    await seed(MAX_PASSKEYS_PER_USER - 2);
    const lastRoom = await options(token);
    // Another passkey arrives between the options and the registration.
    await seed(1);
    const refused = await readAnswer(await register(token, await SoftAuthenticator.create(), lastRoom));
    expectProblem(refused, 409, "limit_reached");
    expect(refused.json.detail).toContain(String(MAX_PASSKEYS_PER_USER));
    expectProblem(
      await readAnswer(await post("/mfa/passkeys/registration/options", undefined, token)),
      409,
      "limit_reached",
    );
    const listed = (await (await call(token, "GET", "/mfa/passkeys")).json()) as { passkeys: { id: string }[] };
    expect(listed.passkeys).toHaveLength(MAX_PASSKEYS_PER_USER);
    // Removing one makes room again.
    expect((await call(token, "DELETE", `/mfa/passkeys/${listed.passkeys.at(-1)?.id}`)).status).toBe(204);
    expect((await register(token, await SoftAuthenticator.create())).status).toBe(201);
  });
});
