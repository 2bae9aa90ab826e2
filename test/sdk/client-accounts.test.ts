/**
 * The SDK client's account and session methods against the real service:
 * signup, login, refresh, logout, me, sessions, with the expected failures.
 */
import { createClient, pages, type Session } from "@authority/sdk/client";
import { decodeJwt } from "jose";
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
const client = (extra: Partial<Parameters<typeof createClient>[0]> = {}) =>
  createClient({ baseUrl: s.baseUrl, tenant: "acc", ...extra });

beforeAll(async () => {
  s = await startServedApp();
  unwrap(await s.admin.admin.createTenant({ slug: "acc", name: "Accounts" }));
});
afterAll(async () => {
  await s?.close();
});

describe("signup and login", () => {
  it("signs up (201), keeps the session and answers /me with it", async () => {
    const c = client();
    const address = email("ann");
    const signed = await c.signup({ email: address, password: GOOD_PASSWORD, name: "Ann" });
    expect(signed.status).toBe(201);
    const body = tokensOf(signed);
    expect(body).toMatchObject({ token_type: "Bearer", user: { email: address, name: "Ann", email_verified: false } });
    expect(body.refresh_token).toEqual(expect.any(String));
    const stored = await c.session.get();
    expect(stored).toMatchObject({ accessToken: body.access_token, refreshToken: body.refresh_token, cookie: false });
    expect(stored?.sessionId).toBe(body.session_id);
    const me = unwrap(await c.me());
    expect(me).toEqual({
      id: body.user.id,
      sub: body.user.id,
      email: address,
      name: "Ann",
      email_verified: false,
      tenant_id: body.user.tenant_id,
      created_at: expect.any(String),
    });
  });

  it("answers 409 email_taken and 400 validation_failed with field errors", async () => {
    const c = client();
    const address = email("dup");
    unwrap(await c.signup({ email: address, password: GOOD_PASSWORD }));
    expectFailure(await c.signup({ email: address, password: GOOD_PASSWORD }), 409, "email_taken");
    const invalid = await c.signup({ email: "not-an-email", password: "short" });
    expectFailure(invalid, 400, "validation_failed");
    if (!invalid.ok) {
      expect(invalid.problem.errors).toEqual(
        expect.arrayContaining([expect.objectContaining({ path: expect.any(String), message: expect.any(String) })]),
      );
    }
  });

  it("logs in; a wrong password and an unknown email are the same 401 invalid_credentials", async () => {
    const address = email("bob");
    unwrap(await client().signup({ email: address, password: GOOD_PASSWORD }));
    const c = client();
    const tokens = tokensOf(await c.login({ email: address, password: GOOD_PASSWORD }));
    expect(decodeJwt(tokens.access_token)).toMatchObject({ amr: ["pwd"], sid: tokens.session_id });
    expect((await c.session.get())?.accessToken).toBe(tokens.access_token);
    const wrong = await c.login({ email: address, password: "wrong horse battery staple" });
    const unknown = await c.login({ email: email("nobody"), password: GOOD_PASSWORD });
    expectFailure(wrong, 401, "invalid_credentials");
    expectFailure(unknown, 401, "invalid_credentials");
    if (!wrong.ok && !unknown.ok) expect({ ...wrong.problem }).toEqual({ ...unknown.problem });
    // A failed login leaves the session as it was.
    expect((await c.session.get())?.accessToken).toBe(tokens.access_token);
  });

  it("answers 404 tenant_not_found for an unknown tenant", async () => {
    const c = createClient({ baseUrl: s.baseUrl, tenant: "no-such-tenant" });
    expectFailure(await c.login({ email: email(), password: GOOD_PASSWORD }), 404, "tenant_not_found");
    expectFailure(await c.discovery(), 404, "tenant_not_found");
  });
});

describe("refresh", () => {
  it("refreshes the stored session: a new pair is stored, the old refresh token is spent", async () => {
    const counting = countingFetch();
    const c = client({ fetch: counting.fetch });
    const first = tokensOf(await c.signup({ email: email("rot"), password: GOOD_PASSWORD }));
    const second = unwrap(await c.refresh());
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(second.session_id).toBe(first.session_id);
    expect((await c.session.get())?.refreshToken).toBe(second.refresh_token);
    expect(counting.sent.at(-1)?.body).toBe(JSON.stringify({ refresh_token: first.refresh_token }));
    unwrap(await c.me());
  });

  it("refreshes an explicit token statelessly; a bad one is 401 invalid_grant", async () => {
    const owner = client();
    const tokens = tokensOf(await owner.signup({ email: email("explicit"), password: GOOD_PASSWORD }));
    const other = client();
    const refreshed = unwrap(await other.refresh({ refresh_token: tokens.refresh_token as string }));
    expect(refreshed.session_id).toBe(tokens.session_id);
    expect(await other.session.get()).toBeUndefined();
    expectFailure(await other.refresh({ refresh_token: "not-a-refresh-token" }), 401, "invalid_grant");
  });

  it("without a session: no request, a no_session failure", async () => {
    const counting = countingFetch();
    const result = await client({ fetch: counting.fetch }).refresh();
    expectFailure(result, 0, "no_session");
    expect(result.ok ? "" : result.kind).toBe("no_session");
    expect(counting.sent).toHaveLength(0);
  });

  it("forgets the session when the service refuses its refresh token (session revoked)", async () => {
    const c = client();
    const tokens = tokensOf(await c.signup({ email: email("revoked"), password: GOOD_PASSWORD }));
    unwrap(await s.admin.withTenant("acc").admin.revokeUserSessions(decodeJwt(tokens.access_token).sub as string));
    expectFailure(await c.refresh(), 401, "invalid_grant");
    expect(await c.session.get()).toBeUndefined();
  });
});

describe("me, sessions and logout", () => {
  it("me: 401 unauthorized without a session, invalid_token for a bad token", async () => {
    const c = client();
    expectFailure(await c.me(), 401, "unauthorized");
    const bad = await c.me({ accessToken: "not.a.jwt" });
    expectFailure(bad, 401, "invalid_token");
    expect(bad.headers?.get("www-authenticate")).toMatch(/^Bearer realm=".*", error="invalid_token"/);
  });

  it("lists sessions, deletes another one (204) and refuses an unknown id (404)", async () => {
    const address = email("multi");
    const laptop = client();
    unwrap(await laptop.signup({ email: address, password: GOOD_PASSWORD }));
    const phone = client();
    const phoneTokens = tokensOf(await phone.login({ email: address, password: GOOD_PASSWORD }));
    const { sessions } = unwrap(await laptop.sessions.list());
    expect(sessions).toHaveLength(2);
    expect(sessions.filter((x) => x.current)).toHaveLength(1);
    expect(sessions[0]).toMatchObject({ auth_method: "password", created_at: expect.any(String) });
    expect((await laptop.sessions.delete(phoneTokens.session_id)).status).toBe(204);
    expectFailure(await phone.me(), 401, "token_revoked");
    expectFailure(await laptop.sessions.delete(crypto.randomUUID()), 404, "not_found");
    expectFailure(await laptop.sessions.delete("not-a-uuid"), 404, "not_found");
    unwrap(await laptop.me());
  });

  it("lists sessions a page at a time (limit and cursor with the request options; pages() walks them)", async () => {
    const address = email("paged");
    const laptop = client();
    const first = tokensOf(await laptop.signup({ email: address, password: GOOD_PASSWORD }));
    for (let i = 0; i < 2; i++) tokensOf(await client().login({ email: address, password: GOOD_PASSWORD }));
    const whole = unwrap(await laptop.sessions.list());
    expect(whole.sessions).toHaveLength(3);
    expect(whole.next_cursor).toBeNull();
    const seen: Session[] = [];
    for await (const page of pages((cursor) => laptop.sessions.list({ limit: 1, cursor }))) {
      seen.push(...unwrap(page).sessions);
    }
    expect(seen.map((x) => x.id)).toEqual(whole.sessions.map((x) => x.id));
    // The page query and request options share the one argument; another token's view.
    const other = unwrap(await laptop.sessions.list({ limit: 2, accessToken: first.access_token }));
    expect(other.sessions).toHaveLength(2);
    expect(other.next_cursor).toEqual(expect.any(String));
    expectFailure(await laptop.sessions.list({ cursor: "forged" }), 400, "validation_failed");
  });

  it("deleting its own session forgets it locally too", async () => {
    const c = client();
    const tokens = tokensOf(await c.signup({ email: email("self"), password: GOOD_PASSWORD }));
    expect((await c.sessions.delete(tokens.session_id)).status).toBe(204);
    expect(await c.session.get()).toBeUndefined();
    expectFailure(await c.me({ accessToken: tokens.access_token }), 401, "token_revoked");
  });

  it("logs out (204): the access token stops at once, the refresh token too, the session is forgotten", async () => {
    const counting = countingFetch();
    const c = client({ fetch: counting.fetch });
    const tokens = tokensOf(await c.signup({ email: email("bye"), password: GOOD_PASSWORD }));
    const result = await c.logout();
    expect(result).toMatchObject({ ok: true, status: 204, value: undefined });
    expect(counting.sent.at(-1)?.body).toBe(JSON.stringify({ refresh_token: tokens.refresh_token }));
    expect(counting.sent.at(-1)?.headers.get("authorization")).toBe(`Bearer ${tokens.access_token}`);
    expect(await c.session.get()).toBeUndefined();
    expectFailure(await c.me({ accessToken: tokens.access_token }), 401, "token_revoked");
    expectFailure(await c.refresh({ refresh_token: tokens.refresh_token as string }), 401, "invalid_grant");
    expectFailure(await c.logout(), 401, "unauthorized");
  });
});
