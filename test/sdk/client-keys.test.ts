/**
 * The SDK client's API-key and token-management methods against the real
 * service: create, list, revoke, verify; introspection and revocation.
 */
import { createClient } from "@authority/sdk/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  countingFetch,
  email,
  expectFailure,
  GOOD_PASSWORD,
  type ServedApp,
  startServedApp,
  tokensOf,
  unwrap,
} from "./client-harness.js";

let s: ServedApp;
let owner: ReturnType<typeof createClient>;
let service: ReturnType<typeof createClient>;
const client = (extra: Partial<Parameters<typeof createClient>[0]> = {}) =>
  createClient({ baseUrl: s.baseUrl, tenant: "keys", ...extra });

beforeAll(async () => {
  s = await startServedApp();
  unwrap(await s.admin.admin.createTenant({ slug: "keys", name: "Keys" }));
  owner = client();
  const signed = tokensOf(await owner.signup({ email: email("admin"), password: GOOD_PASSWORD }));
  await s.grantScopes(signed.user.id, ["admin"]);
  unwrap(await owner.login({ email: signed.user.email, password: GOOD_PASSWORD }));
  const key = unwrap(await owner.apiKeys.create({ name: "svc", scopes: ["tokens:introspect", "api_keys:verify"] }));
  service = client({ apiKey: key.key });
});
afterAll(async () => {
  await s?.close();
});

describe("API keys", () => {
  it("creates a key (201, shown once), lists it without the key, verifies and revokes it", async () => {
    const user = client();
    unwrap(await user.signup({ email: email("plain"), password: GOOD_PASSWORD }));
    const created = await user.apiKeys.create({ name: "ci", scopes: ["openid"], expires_at: "2099-01-01T00:00:00Z" });
    expect(created.status).toBe(201);
    const key = unwrap(created);
    expect(key).toMatchObject({ name: "ci", scopes: ["openid"], expires_at: "2099-01-01T00:00:00.000Z" });
    expect(key.key).toMatch(/^sk_/);
    const listed = unwrap(await user.apiKeys.list());
    expect(listed.api_keys).toEqual([
      {
        id: key.id,
        prefix: key.prefix,
        name: "ci",
        scopes: ["openid"],
        created_at: key.created_at,
        last_used_at: null,
        expires_at: key.expires_at,
      },
    ]);
    expect(JSON.stringify(listed)).not.toContain(key.key);
    expect(listed.next_cursor).toBeNull();
    const second = unwrap(await user.apiKeys.create({ name: "second", scopes: ["openid"] }));
    const page = unwrap(await user.apiKeys.list({ limit: 1 }));
    expect(page.api_keys.map((k) => k.id)).toEqual([second.id]);
    const rest = unwrap(await user.apiKeys.list({ limit: 1, cursor: page.next_cursor ?? "" }));
    expect(rest).toEqual({ api_keys: [expect.objectContaining({ id: key.id })], next_cursor: null });
    expect((await user.apiKeys.revoke(second.id)).status).toBe(204);

    const verdict = unwrap(await service.apiKeys.verify(key.key));
    expect(verdict).toMatchObject({ valid: true, key_id: key.id, scopes: ["openid"] });
    expect(await user.apiKeys.revoke(key.id)).toMatchObject({ ok: true, status: 204 });
    expect(unwrap(await service.apiKeys.verify(key.key))).toEqual({ valid: false });
    expectFailure(await user.apiKeys.revoke(key.id), 404, "not_found");
    expect(unwrap(await service.apiKeys.verify("sk_not-even-close"))).toEqual({ valid: false });
  });

  it("refuses scopes the owner does not hold (403 forbidden) and invalid input (400)", async () => {
    const user = client();
    unwrap(await user.signup({ email: email("limited"), password: GOOD_PASSWORD }));
    expectFailure(await user.apiKeys.create({ name: "x", scopes: ["admin"] }), 403, "forbidden");
    expectFailure(await user.apiKeys.create({ name: "", scopes: [] }), 400, "validation_failed");
    expectFailure(await client().apiKeys.list(), 401, "unauthorized");
  });

  it("verify needs a key with api_keys:verify: 401 without one, 403 forbidden without the scope", async () => {
    const user = client();
    unwrap(await user.signup({ email: email("v"), password: GOOD_PASSWORD }));
    const weak = unwrap(await user.apiKeys.create({ name: "weak", scopes: ["openid"] })).key;
    expectFailure(await client().apiKeys.verify(weak), 401, "unauthorized");
    expectFailure(await client({ apiKey: weak }).apiKeys.verify(weak), 403, "forbidden");
    expectFailure(await client({ apiKey: "sk_wrong" }).apiKeys.verify(weak), 401, "invalid_token");
  });
});

describe("introspection and revocation", () => {
  it("introspects an access token (active with its claims), and after logout (inactive)", async () => {
    const user = client();
    const tokens = tokensOf(await user.signup({ email: email("intro"), password: GOOD_PASSWORD }));
    const active = unwrap(await service.introspect({ token: tokens.access_token }));
    expect(active).toMatchObject({
      active: true,
      sid: tokens.session_id,
      sub: tokens.user.id,
      tid: tokens.user.tenant_id,
      iss: expect.stringMatching(/\/t\/keys$/),
      scope: expect.any(String),
      exp: expect.any(Number),
    });
    unwrap(await user.logout());
    expect(unwrap(await service.introspect({ token: tokens.access_token }))).toEqual({ active: false });
    expect(unwrap(await service.introspect({ token: "garbage" }))).toEqual({ active: false });
  });

  it("revokes (RFC 7009): 200 for any token; a revoked refresh token ends its session", async () => {
    const user = client();
    const tokens = tokensOf(await user.signup({ email: email("rev"), password: GOOD_PASSWORD }));
    const counting = countingFetch();
    const revoking = client({ apiKey: "sk_not-a-key", fetch: counting.fetch });
    const result = await service.revoke({ token: tokens.refresh_token as string, token_type_hint: "refresh_token" });
    expect(result).toMatchObject({ ok: true, status: 200 });
    expect(unwrap(await service.introspect({ token: tokens.access_token }))).toEqual({ active: false });
    expect(await service.revoke({ token: "unknown-token" })).toMatchObject({ ok: true, status: 200 });
    expectFailure(await user.me(), 401, "token_revoked");
    expectFailure(await revoking.revoke({ token: "x" }), 401, "invalid_token");
    expect(counting.count("/v1/revoke", "POST")).toBe(1);
  });

  it("refuses a caller without tokens:introspect (403) and without a key (401)", async () => {
    const user = client();
    unwrap(await user.signup({ email: email("weak"), password: GOOD_PASSWORD }));
    const weak = unwrap(await user.apiKeys.create({ name: "weak", scopes: ["openid"] })).key;
    expectFailure(await client({ apiKey: weak }).introspect({ token: "x" }), 403, "forbidden");
    expectFailure(await client().introspect({ token: "x" }), 401, "unauthorized");
    expectFailure(await client({ apiKey: weak }).revoke({ token: "x" }), 403, "forbidden");
  });
});
