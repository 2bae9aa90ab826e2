/**
 * A refresh cookie that can never work again is cleared by the refresh that
 * finds it dead (401 invalid_grant): logout cannot clear it (it needs a live
 * access token), and the browser would otherwise send it for up to 30 days.
 * A refusal that says nothing about the token (403 Origin, 5xx) keeps it, and
 * a token sent in the body never touches the cookie.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KeyValueStore } from "../../src/core/ports/key-value.js";
import { rotateRefreshToken } from "../../src/core/sessions/session-scripts.js";
import { JSON_HEADERS, type TokenBody } from "../support/accounts.js";
import { TEST_ADMIN_KEY } from "../support/app.js";
import { expectProblem, readAnswer } from "../support/problem.js";
import { type SessionsApp, startSessionsApp } from "../support/sessions.js";

const ORIGIN = "https://app.acme.example";
const CLEARED = /^__Host-refresh-acme=; Max-Age=0; Path=\/; HttpOnly; Secure; SameSite=Strict$/;

let s: SessionsApp;
beforeAll(async () => {
  s = await startSessionsApp();
  expect((await s.api.redirectUris("acme", [`${ORIGIN}/callback`])).status).toBe(200);
});
afterAll(async () => {
  await s?.close();
});

/** `name=value` of the response's Set-Cookie. */
const pairOf = (response: Response) => (response.headers.get("set-cookie") ?? "").split(";")[0] ?? "";

/** A cookie-mode login of a new user: the user's id, the login's tokens and its cookie (`name=value`). */
async function cookieLogin(): Promise<{ userId: string; tokens: TokenBody; cookie: string }> {
  const { user } = await s.signup();
  const response = await s.api.post("/t/acme/v1/login", {
    email: s.lastEmail(),
    password: "correct horse battery staple",
    cookie: true,
  });
  expect(response.status).toBe(200);
  return { userId: user.id, tokens: await response.json(), cookie: pairOf(response) };
}

const refreshByCookie = (cookie: string, origin = ORIGIN) =>
  s.t.app.request("/t/acme/v1/token/refresh", { method: "POST", headers: { Cookie: cookie, Origin: origin } });

async function expectCleared(response: Response) {
  const answer = await readAnswer(response);
  expectProblem(answer, 401, "invalid_grant");
  expect(answer.headers.get("set-cookie")).toMatch(CLEARED);
}

describe("a dead refresh cookie", () => {
  it("is cleared when the session was logged out elsewhere", async () => {
    const { tokens, cookie } = await cookieLogin();
    // Logout by another session of the user: the cookie's session ends, its holder is not told.
    const other = (await (await s.api.login("acme", s.lastEmail())).json()) as TokenBody;
    expect((await s.api.deleteSession("acme", other.access_token, tokens.session_id)).status).toBe(204);
    await expectCleared(await refreshByCookie(cookie));
  });

  it("is cleared when a spent token comes back after the grace window (reuse), which revokes the session", async () => {
    const { cookie } = await cookieLogin();
    const rotated = await refreshByCookie(cookie);
    expect(rotated.status).toBe(200);
    const next = pairOf(rotated);
    s.clock.advance(11_000);
    await expectCleared(await refreshByCookie(cookie));
    // The successor died with the session: its refresh clears the cookie too.
    await expectCleared(await refreshByCookie(next));
  });

  it("is cleared when an admin revoked the user's sessions or disabled the user", async () => {
    const revoked = await cookieLogin();
    expect((await s.api.revokeSessions("acme", revoked.userId)).status).toBe(204);
    await expectCleared(await refreshByCookie(revoked.cookie));

    const disabled = await cookieLogin();
    const patch = await s.t.app.request(`/t/acme/v1/admin/users/${disabled.userId}`, {
      method: "PATCH",
      headers: { ...JSON_HEADERS, Authorization: `Bearer ${TEST_ADMIN_KEY}` },
      body: JSON.stringify({ disabled: true }),
    });
    expect(patch.status).toBe(200);
    await expectCleared(await refreshByCookie(disabled.cookie));
  });

  it("is cleared when it is no token at all (forged, truncated, another tenant's)", async () => {
    const { cookie } = await cookieLogin();
    for (const value of ["garbage", cookie.slice(0, -2), "rt1.a.b.c"]) {
      await expectCleared(await refreshByCookie(`__Host-refresh-acme=${value}`));
    }
    const inOther = await s.signup("other");
    await expectCleared(await refreshByCookie(`__Host-refresh-acme=${inOther.refresh_token}`));
    // The other tenant's session is unharmed.
    await s.refreshOk("other", inOther.refresh_token);
  });

  it("is kept when the refresh is refused for its Origin (403): the token may still be good", async () => {
    const { cookie } = await cookieLogin();
    const refused = await readAnswer(await refreshByCookie(cookie, "https://evil.example"));
    expectProblem(refused, 403, "forbidden");
    expect(refused.headers.get("set-cookie")).toBeNull();
    expect((await refreshByCookie(cookie)).status).toBe(200);
  });

  it("is kept when the service fails (5xx): the token may still be good", async () => {
    const { cookie } = await cookieLogin();
    const kv: KeyValueStore = s.t.deps.kv;
    const run = kv.run;
    // Redis fails the rotation only; the rate limiter and the rest still answer.
    kv.run = ((script, keys, args) =>
      script === rotateRefreshToken
        ? Promise.reject(new Error("connection lost"))
        : run.call(kv, script, keys, args)) as KeyValueStore["run"];
    try {
      const failed = await refreshByCookie(cookie);
      expect(failed.status).toBe(500);
      expect(failed.headers.get("set-cookie")).toBeNull();
    } finally {
      kv.run = run;
    }
    const refreshed = await refreshByCookie(cookie);
    expect(refreshed.status).toBe(200);
    expect(pairOf(refreshed)).toMatch(/^__Host-refresh-acme=rt1\./);
  });

  it("is not touched when the dead token came in the body, even with a cookie beside it", async () => {
    const dead = await s.signup();
    expect((await s.api.logout("acme", dead.access_token, { refresh_token: dead.refresh_token })).status).toBe(204);
    const { cookie } = await cookieLogin();
    const answer = await readAnswer(
      await s.t.app.request("/t/acme/v1/token/refresh", {
        method: "POST",
        headers: { ...JSON_HEADERS, Cookie: cookie, Origin: ORIGIN },
        body: JSON.stringify({ refresh_token: dead.refresh_token }),
      }),
    );
    expectProblem(answer, 401, "invalid_grant");
    expect(answer.headers.get("set-cookie")).toBeNull();
    expect((await refreshByCookie(cookie)).status).toBe(200);
  });
});
