/**
 * Logout, session deletion, admin revocation, cookie mode, bad refresh input
 * and the redirect allowlist through the whole app on real Postgres and Redis.
 */

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JSON_HEADERS, type TokenBody } from "../support/accounts.js";
import { expectProblem, readAnswer } from "../support/problem.js";
import type { RedisUnderTest } from "../support/redis.js";
import { type SessionsApp, startSessionsApp } from "../support/sessions.js";

/** The suite, on the Redis `redis` names (sessions-revocation.test.ts: one server; sessions-cluster.test.ts: a cluster). */
export function sessionRevocationSuite(label: string, redis: () => RedisUnderTest): void {
  describe(label, () => {
    let s: SessionsApp;
    beforeAll(async () => {
      s = await startSessionsApp(redis());
    });
    afterAll(async () => {
      await s.close();
    });

    describe("logout and revocation", () => {
      it("logout revokes the session: its access token and refresh token stop at once", async () => {
        const first = await s.signup();
        const response = await s.api.logout("acme", first.access_token, { refresh_token: first.refresh_token });
        expect(response.status).toBe(204);
        await s.expectRevoked("acme", first.access_token);
        await s.expectInvalidGrant(await s.api.refresh("acme", first.refresh_token));
        const row = await s.sessionRow(first.session_id);
        expect(row.revoked_at).toBeInstanceOf(Date);
        expect(row.revoked_reason).toBe("logout");
      });

      it("needs an access token to log out", async () => {
        const answer = await readAnswer(await s.api.post("/t/acme/v1/logout", {}));
        expectProblem(answer, 401, "unauthorized");
      });

      it("lists the caller's live sessions and deletes one, which then stops working", async () => {
        const first = await s.signup();
        const email = s.lastEmail();
        const second = (await (await s.api.login("acme", email)).json()) as TokenBody;
        const list = (await (await s.api.sessions("acme", first.access_token)).json()) as {
          sessions: Record<string, unknown>[];
        };
        expect(list.sessions.map((s) => s.id).sort()).toEqual([first.session_id, second.session_id].sort());
        const current = list.sessions.find((s) => s.id === first.session_id);
        // The test app gives each request a fresh client address in 198.18.0.0/15 (test/support/app.ts).
        expect(current).toMatchObject({ current: true, auth_method: "password" });
        expect(current?.ip).toMatch(/^198\.1[89]\.\d+\.\d+$/);
        expect(list.sessions.find((s) => s.id === second.session_id)?.current).toBe(false);

        expect((await s.api.deleteSession("acme", first.access_token, second.session_id)).status).toBe(204);
        await s.expectRevoked("acme", second.access_token);
        await s.expectInvalidGrant(await s.api.refresh("acme", second.refresh_token));
        expect((await s.api.me("acme", first.access_token)).status).toBe(200);
        const after = (await (await s.api.sessions("acme", first.access_token)).json()) as { sessions: unknown[] };
        expect(after.sessions).toHaveLength(1);
      });

      it("deletes a session named by its id in upper case (UUIDs are case-insensitive), which then stops working", async () => {
        const first = await s.signup();
        const second = (await (await s.api.login("acme", s.lastEmail())).json()) as TokenBody;
        const upper = second.session_id.toUpperCase();
        expect(upper).not.toBe(second.session_id);
        expect((await s.api.deleteSession("acme", first.access_token, upper)).status).toBe(204);
        await s.expectRevoked("acme", second.access_token);
        await s.expectInvalidGrant(await s.api.refresh("acme", second.refresh_token));
        expectProblem(await readAnswer(await s.api.deleteSession("acme", first.access_token, upper)), 404, "not_found");
      });

      it("answers 404 for a session of another user, an unknown one, or a malformed id", async () => {
        const mine = await s.signup();
        const theirs = await s.signup();
        for (const id of [theirs.session_id, crypto.randomUUID(), "not-a-uuid"]) {
          expectProblem(await readAnswer(await s.api.deleteSession("acme", mine.access_token, id)), 404, "not_found");
        }
        expect((await s.api.me("acme", theirs.access_token)).status).toBe(200);
      });

      it("lets an admin revoke every session of a user", async () => {
        const first = await s.signup();
        const second = (await (await s.api.login("acme", s.lastEmail())).json()) as TokenBody;
        expect((await s.api.revokeSessions("acme", first.user.id)).status).toBe(204);
        for (const tokens of [first, second]) {
          await s.expectRevoked("acme", tokens.access_token);
          await s.expectInvalidGrant(await s.api.refresh("acme", tokens.refresh_token));
        }
        expectProblem(await readAnswer(await s.api.revokeSessions("acme", crypto.randomUUID())), 404, "not_found");
        expectProblem(await readAnswer(await s.api.revokeSessions("other", first.user.id)), 404, "not_found");
        const anonymous = await s.t.app.request(`/t/acme/v1/admin/users/${first.user.id}/revoke-sessions`, {
          method: "POST",
        });
        expect(anonymous.status).toBe(401);
      });
    });

    describe("cookie mode", () => {
      const ORIGIN = "https://app.acme.example";

      it("puts the refresh token in a __Host- cookie with the strict attributes, and not in the body", async () => {
        const response = await s.api.post("/t/acme/v1/signup", {
          email: s.nextEmail(),
          password: "correct horse battery staple",
          cookie: true,
        });
        expect(response.status).toBe(201);
        const body = (await response.json()) as Record<string, unknown>;
        expect(body.refresh_token).toBeUndefined();
        expect(body.refresh_expires_in).toBe(30 * 86_400);
        const cookie = response.headers.get("set-cookie") ?? "";
        expect(cookie).toMatch(
          /^__Host-refresh-acme=rt1\.[^;]+; Max-Age=2592000; Path=\/; HttpOnly; Secure; SameSite=Strict$/,
        );
        expect(cookie).not.toMatch(/Domain/i);
      });

      it("refreshes and logs out by cookie only from an allowed Origin", async () => {
        const login = await s.api.post("/t/acme/v1/login", {
          email: s.lastEmail(),
          password: "correct horse battery staple",
          cookie: true,
        });
        const { access_token } = (await login.json()) as TokenBody;
        const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
        const byCookie = (origin?: string) =>
          s.t.app.request("/t/acme/v1/token/refresh", {
            method: "POST",
            headers: { Cookie: cookie, ...(origin ? { Origin: origin } : {}) },
          });
        expectProblem(await readAnswer(await byCookie()), 403, "forbidden");
        expectProblem(await readAnswer(await byCookie(ORIGIN)), 403, "forbidden");
        expect((await s.api.redirectUris("acme", [`${ORIGIN}/callback`])).status).toBe(200);
        expectProblem(await readAnswer(await byCookie("https://evil.example")), 403, "forbidden");
        const refreshed = await byCookie(ORIGIN);
        expect(refreshed.status).toBe(200);
        const body = (await refreshed.json()) as Record<string, unknown>;
        expect(body.refresh_token).toBeUndefined();
        const next = (refreshed.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
        expect(next).toMatch(/^__Host-refresh-acme=rt1\./);
        expect(next).not.toBe(cookie);

        const logout = await s.t.app.request("/t/acme/v1/logout", {
          method: "POST",
          headers: { Cookie: next, Origin: ORIGIN, Authorization: `Bearer ${body.access_token}` },
        });
        expect(logout.status).toBe(204);
        expect(logout.headers.get("set-cookie")).toMatch(
          /^__Host-refresh-acme=; Max-Age=0; Path=\/; HttpOnly; Secure; SameSite=Strict$/,
        );
        await s.expectRevoked("acme", access_token);
      });
    });

    describe("cookie mode with several tenants on one host", () => {
      const ORIGIN = "https://app.shared.example";
      /** A browser's cookie jar for the service's host, keyed by cookie name. */
      const jar = new Map<string, string>();
      const cookieHeader = () => [...jar].map(([name, value]) => `${name}=${value}`).join("; ");
      const send = async (path: string, body: unknown) => {
        const response = await s.t.app.request(path, {
          method: "POST",
          headers: { ...JSON_HEADERS, Origin: ORIGIN, ...(jar.size > 0 ? { Cookie: cookieHeader() } : {}) },
          body: JSON.stringify(body),
        });
        const [pair = ""] = (response.headers.get("set-cookie") ?? "").split(";");
        const [name, value] = pair.split("=");
        if (name && value) jar.set(name, value);
        else if (name) jar.delete(name);
        return response;
      };

      beforeAll(async () => {
        for (const tenant of ["acme", "other"]) {
          expect((await s.api.redirectUris(tenant, [`${ORIGIN}/callback`])).status).toBe(200);
        }
      });

      it("keeps each tenant's refresh cookie: logins in two tenants both go on refreshing", async () => {
        await s.signup("acme");
        const inAcme = s.lastEmail();
        await s.signup("other");
        const inOther = s.lastEmail();
        const password = "correct horse battery staple";
        expect((await send("/t/acme/v1/login", { email: inAcme, password, cookie: true })).status).toBe(200);
        expect((await send("/t/other/v1/login", { email: inOther, password, cookie: true })).status).toBe(200);
        expect([...jar.keys()].sort()).toEqual(["__Host-refresh-acme", "__Host-refresh-other"]);

        for (let round = 0; round < 2; round++) {
          for (const tenant of ["acme", "other"]) {
            const refreshed = await send(`/t/${tenant}/v1/token/refresh`, {});
            expect(refreshed.status, `${tenant}, round ${round}`).toBe(200);
          }
        }
      });

      it("does not refresh a tenant with another tenant's cookie", async () => {
        const acmeCookie = jar.get("__Host-refresh-acme") as string;
        const refresh = (cookie: string) =>
          s.t.app.request("/t/other/v1/token/refresh", {
            method: "POST",
            headers: { ...JSON_HEADERS, Origin: ORIGIN, Cookie: cookie },
            body: "{}",
          });
        await s.expectInvalidGrant(await refresh(`__Host-refresh-acme=${acmeCookie}`));
        // Nor under the other tenant's name: the token itself belongs to acme.
        await s.expectInvalidGrant(await refresh(`__Host-refresh-other=${acmeCookie}`));
        // And acme's session is unharmed.
        expect((await send("/t/acme/v1/token/refresh", {})).status).toBe(200);
      });
    });

    describe("bad refresh input", () => {
      it("answers 401 invalid_grant for missing, malformed, truncated, foreign-tenant and unknown tokens", async () => {
        const good = await s.signup();
        const cases: [string, RequestInit][] = [
          ["empty object", { method: "POST", headers: JSON_HEADERS, body: "{}" }],
          ["no body", { method: "POST" }],
          ["garbage", { method: "POST", headers: JSON_HEADERS, body: JSON.stringify({ refresh_token: "abc" }) }],
          [
            "truncated",
            {
              method: "POST",
              headers: JSON_HEADERS,
              body: JSON.stringify({ refresh_token: good.refresh_token.slice(0, -1) }),
            },
          ],
          [
            "extra part",
            {
              method: "POST",
              headers: JSON_HEADERS,
              body: JSON.stringify({ refresh_token: `${good.refresh_token}.x` }),
            },
          ],
          [
            "very long",
            { method: "POST", headers: JSON_HEADERS, body: JSON.stringify({ refresh_token: "r".repeat(3000) }) },
          ],
          [
            "access token",
            { method: "POST", headers: JSON_HEADERS, body: JSON.stringify({ refresh_token: good.access_token }) },
          ],
        ];
        for (const [name, init] of cases) {
          const answer = await readAnswer(await s.t.app.request("/t/acme/v1/token/refresh", init));
          expect(answer.status, name).toBe(401);
          expectProblem(answer, 401, "invalid_grant");
        }
        await s.expectInvalidGrant(await s.api.refresh("other", good.refresh_token));
        // None of that harmed the real session.
        await s.refreshOk("acme", good.refresh_token);
      });

      it("answers 400 for a body of the wrong shape and 415 for another media type", async () => {
        expectProblem(await readAnswer(await s.api.refresh("acme", 42)), 400, "validation_failed");
        const form = await s.t.app.request("/t/acme/v1/token/refresh", {
          method: "POST",
          headers: { "Content-Type": "text/plain" },
          body: "x",
        });
        expectProblem(await readAnswer(form), 415, "unsupported_media_type");
        const broken = await s.t.app.request("/t/acme/v1/token/refresh", {
          method: "POST",
          headers: JSON_HEADERS,
          body: "{",
        });
        expectProblem(await readAnswer(broken), 400, "malformed_body");
      });

      it("never writes a refresh token to the log", async () => {
        const first = await s.signup();
        await s.refreshOk("acme", first.refresh_token);
        s.clock.advance(11_000);
        await s.api.refresh("acme", first.refresh_token);
        const secrets = [first.refresh_token, first.refresh_token.split(".")[1] ?? ""];
        for (const line of s.logLines) for (const secret of secrets) expect(line).not.toContain(secret);
        expect(s.logLines.length).toBeGreaterThan(0);
      });
    });

    describe("redirect allowlist", () => {
      it("stores exact URIs and refuses unusable ones", async () => {
        const ok = await s.api.redirectUris("other", [
          "https://a.example/cb",
          "http://127.0.0.1:8080/cb",
          "com.example.app:/cb",
        ]);
        expect(ok.status).toBe(200);
        expect(await ok.json()).toEqual({
          redirect_uris: ["https://a.example/cb", "http://127.0.0.1:8080/cb", "com.example.app:/cb"],
        });
        for (const bad of ["/relative", "https://a.example/cb#frag", "javascript:alert(1)", "http://evil.example/cb"]) {
          expectProblem(await readAnswer(await s.api.redirectUris("other", [bad])), 400, "validation_failed");
        }
        expectProblem(await readAnswer(await s.api.redirectUris("other", "nope")), 400, "validation_failed");
        const anonymous = await s.t.app.request("/t/other/v1/admin/redirect-uris", {
          method: "PUT",
          headers: JSON_HEADERS,
          body: JSON.stringify({ redirect_uris: [] }),
        });
        expect(anonymous.status).toBe(401);
      });
    });
  });
}
