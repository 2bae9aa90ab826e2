/**
 * Admin changes to a user reach its sessions: new scopes at the next refresh,
 * disabled or deleted users' sessions end at once (refresh, bearer routes and
 * introspection), on real Postgres and Redis.
 */

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decode, JSON_HEADERS, type TokenBody } from "../support/accounts.js";
import { TEST_ADMIN_KEY } from "../support/app.js";
import { expectProblem, readAnswer } from "../support/problem.js";
import { deletePrefix } from "../support/redis.js";
import { type SessionsApp, startSessionsApp } from "../support/sessions.js";

let s: SessionsApp;
beforeAll(async () => {
  s = await startSessionsApp();
});
afterAll(async () => {
  await s.close();
});

const admin = { Authorization: `Bearer ${TEST_ADMIN_KEY}`, ...JSON_HEADERS };
const patch = (userId: string, body: unknown, tenant = "acme") =>
  s.t.app.request(`/t/${tenant}/v1/admin/users/${userId}`, {
    method: "PATCH",
    headers: admin,
    body: JSON.stringify(body),
  });
const remove = (userId: string, tenant = "acme") =>
  s.t.app.request(`/t/${tenant}/v1/admin/users/${userId}`, { method: "DELETE", headers: admin });
const introspect = async (token: string) =>
  (await (
    await s.t.app.request("/t/acme/v1/introspect", { method: "POST", headers: admin, body: JSON.stringify({ token }) })
  ).json()) as Record<string, unknown>;
const scopeOf = (tokens: TokenBody) => String(decode(tokens.access_token).claims.scope).split(" ");

describe("admin changes to a user reach its sessions", () => {
  it("adds and removes scopes from the next refresh on, and shows them at introspection", async () => {
    const first = await s.signup();
    const granted = await patch(first.user.id, { scopes: ["billing:read", "admin"] });
    expect(granted.status).toBe(200);
    expect(await granted.json()).toMatchObject({
      id: first.user.id,
      sub: first.user.id,
      scopes: ["billing:read", "admin"],
    });

    const widened = await s.refreshOk("acme", first.refresh_token);
    expect(scopeOf(widened)).toEqual(expect.arrayContaining(["billing:read", "admin"]));
    expect(String((await introspect(widened.refresh_token)).scope).split(" ")).toContain("billing:read");

    expect((await patch(first.user.id, { scopes: [] })).status).toBe(200);
    // The refresh token issued before the change introspects with the scope the user holds now.
    expect(String((await introspect(widened.refresh_token)).scope).split(" ")).not.toContain("admin");
    const narrowed = await s.refreshOk("acme", widened.refresh_token);
    expect(scopeOf(narrowed)).not.toContain("admin");
    expect(scopeOf(narrowed)).not.toContain("billing:read");
    // The retry of a just-spent token inside the grace window gets the same, current scope.
    expect(scopeOf(await s.refreshOk("acme", widened.refresh_token))).not.toContain("admin");
    expect(scopeOf(await s.refreshOk("acme", narrowed.refresh_token))).not.toContain("admin");
  });

  it("still sees a change when Redis lost the user's version (reads it from Postgres once)", async () => {
    const first = await s.signup();
    expect((await patch(first.user.id, { scopes: ["reports"] })).status).toBe(200);
    await deletePrefix(`${s.t.prefix}user-ver:`);
    expect(scopeOf(await s.refreshOk("acme", first.refresh_token))).toContain("reports");
  });

  it("a deleted user's sessions end at once: refresh, bearer routes and introspection", async () => {
    const first = await s.signup();
    const email = s.lastEmail();
    const second = (await (await s.api.login("acme", email)).json()) as TokenBody;
    expect((await remove(first.user.id)).status).toBe(204);

    await s.expectInvalidGrant(await s.api.refresh("acme", first.refresh_token));
    await s.expectInvalidGrant(await s.api.refresh("acme", second.refresh_token));
    await s.expectRevoked("acme", first.access_token);
    for (const token of [first.access_token, second.access_token, second.refresh_token]) {
      expect(await introspect(token)).toEqual({ active: false });
    }
    expectProblem(await readAnswer(await s.api.login("acme", email)), 401, "invalid_credentials");
    expectProblem(await readAnswer(await remove(first.user.id)), 404, "not_found");
    // The address is free again: a new account, not the deleted one.
    const again = (await (await s.api.signup("acme", email)).json()) as { user: { id: string } };
    expect(again.user.id).not.toBe(first.user.id);
  });

  it("a user deleted in a way that did not revoke the sessions still cannot refresh or introspect", async () => {
    const first = await s.signup();
    // As if the revocation had been lost: only the row and the version change.
    await s.db.query("UPDATE users SET deleted_at = now(), updated_at = now() WHERE id = $1", [first.user.id]);
    await deletePrefix(`${s.t.prefix}user-ver:`);
    expect(await introspect(first.refresh_token)).toEqual({ active: false });
    await s.expectInvalidGrant(await s.api.refresh("acme", first.refresh_token));
    // The refusal revoked the session, so its access tokens stop too.
    await s.expectRevoked("acme", first.access_token);
  });

  it("a disabled user cannot log in (403 after the password check) until enabled again", async () => {
    const first = await s.signup();
    const email = s.lastEmail();
    const disabled = await patch(first.user.id, { disabled: true });
    expect(await disabled.json()).toMatchObject({ disabled: true });
    await s.expectRevoked("acme", first.access_token);
    await s.expectInvalidGrant(await s.api.refresh("acme", first.refresh_token));
    expectProblem(await readAnswer(await s.api.login("acme", email)), 403, "account_disabled");
    // Without the password nothing tells the account is disabled.
    expectProblem(
      await readAnswer(await s.api.login("acme", email, "wrong password here")),
      401,
      "invalid_credentials",
    );

    expect((await patch(first.user.id, { disabled: false })).status).toBe(200);
    expect((await s.api.login("acme", email)).status).toBe(200);
  });

  it("reads a user and changes name and email_verified", async () => {
    const first = await s.signup();
    const changed = await patch(first.user.id, { name: "Ada", email_verified: true });
    const body = (await changed.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ name: "Ada", email_verified: true, disabled: false, scopes: [] });
    const read = await s.t.app.request(`/t/acme/v1/admin/users/${first.user.id}`, { headers: admin });
    expect(await read.json()).toEqual(body);
    expect(body.last_login_at).toEqual(expect.any(String));
  });

  it("answers 404 for users of another tenant, unknown or malformed ids, and 400 for bad changes", async () => {
    const theirs = await s.signup("other");
    for (const id of [theirs.user.id, crypto.randomUUID(), "not-a-uuid"]) {
      expectProblem(await readAnswer(await patch(id, { disabled: true })), 404, "not_found");
      expectProblem(await readAnswer(await remove(id)), 404, "not_found");
    }
    expect((await s.api.me("other", theirs.access_token)).status).toBe(200);
    const mine = await s.signup();
    for (const body of [{ scopes: ["has space"] }, { disabled: "yes" }, { email: "x@example.com" }, []]) {
      expectProblem(await readAnswer(await patch(mine.user.id, body)), 400, "validation_failed");
    }
  });

  it("needs the admin scope", async () => {
    const first = await s.signup();
    const answer = await readAnswer(
      await s.t.app.request(`/t/acme/v1/admin/users/${first.user.id}`, {
        method: "PATCH",
        headers: { ...JSON_HEADERS, Authorization: `Bearer ${first.access_token}` },
        body: JSON.stringify({ scopes: ["admin"] }),
      }),
    );
    expect(answer.status).toBe(401);
  });
});
