/**
 * Sessions, refresh rotation and revocation through the whole app on real
 * Postgres and Redis, with a pinned clock.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LogFields, Logger } from "../../src/core/ports/logger.js";
import { appClient, decode, JSON_HEADERS, type TokenBody } from "../support/accounts.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { pinnedClock } from "../support/key-ring.js";
import { expectProblem, readAnswer } from "../support/problem.js";
import { deletePrefix } from "../support/redis.js";

const clock = pinnedClock(Date.UTC(2026, 10, 1, 12));
const logLines: string[] = [];
const capturingLogger: Logger = {
  info: (event: string, fields?: LogFields) => logLines.push(JSON.stringify({ event, ...fields })),
  warn: (event: string, fields?: LogFields) => logLines.push(JSON.stringify({ event, ...fields })),
  error: (event: string, fields?: LogFields) => logLines.push(JSON.stringify({ event, ...fields })),
};
let t: TestApp;
let api: ReturnType<typeof appClient>;
let db: pg.Client;
let users = 0;

beforeAll(async () => {
  t = await startTestApp({ clock, logger: capturingLogger });
  api = appClient(t);
  db = new pg.Client({ connectionString: t.database.url });
  await db.connect();
  await api.createTenant("acme");
  await api.createTenant("other");
  await api.createTenant("short", { session_idle_ttl: 3600, session_absolute_ttl: 3 * 3600 });
});
afterAll(async () => {
  await db.end();
  await t.close();
});

async function signup(tenant = "acme"): Promise<TokenBody & { user: { id: string } }> {
  const response = await api.signup(tenant, `user${++users}@example.com`);
  expect(response.status).toBe(201);
  return response.json();
}

async function refreshOk(tenant: string, token: string): Promise<TokenBody> {
  const response = await api.refresh(tenant, token);
  expect(response.status, await response.clone().text()).toBe(200);
  return response.json();
}

async function expectInvalidGrant(response: Response) {
  const answer = await readAnswer(response);
  expectProblem(answer, 401, "invalid_grant");
  return answer;
}

async function expectRevoked(tenant: string, accessToken: string) {
  const answer = await readAnswer(await api.me(tenant, accessToken));
  expectProblem(answer, 401, "token_revoked");
  expect(answer.headers.get("www-authenticate")).toContain('error="invalid_token"');
}

const sessionRow = async (id: string) =>
  (await db.query("SELECT * FROM sessions WHERE id = $1", [id])).rows[0] as Record<string, unknown>;

describe("refresh rotation", () => {
  it("returns a refresh token at signup and login, tied to the session", async () => {
    const first = await signup();
    expect(first.refresh_token).toMatch(/^rt1\./);
    expect(first.refresh_expires_in).toBe(30 * 86_400);
    expect(decode(first.access_token).claims.sid).toBe(first.session_id);
    const row = await sessionRow(first.session_id);
    expect(row.refresh_generation).toBe(0);
    // Only a hash is stored, never the token.
    expect(JSON.stringify(row)).not.toContain(first.refresh_token);
  });

  it("spends the presented token and returns a new pair for the same session", async () => {
    const first = await signup();
    clock.advance(60_000);
    const second = await refreshOk("acme", first.refresh_token);
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(second.session_id).toBe(first.session_id);
    expect(decode(second.access_token).claims).toMatchObject({ sid: first.session_id, sub: first.user.id });
    expect((await api.me("acme", second.access_token)).status).toBe(200);
    await t.services.background.drain();
    const row = await sessionRow(first.session_id);
    expect(row.refresh_generation).toBe(1);
    expect((row.last_used_at as Date).getTime()).toBe(clock.now().getTime());
  });

  it("gives 20 concurrent refreshes of one token exactly one successor and keeps the session", async () => {
    const first = await signup();
    const answers = await Promise.all(Array.from({ length: 20 }, () => api.refresh("acme", first.refresh_token)));
    const bodies = (await Promise.all(answers.map((r) => r.json()))) as TokenBody[];
    expect(answers.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(new Set(bodies.map((b) => b.refresh_token)).size).toBe(1);
    const successor = bodies[0]?.refresh_token ?? "";
    const next = await refreshOk("acme", successor);
    expect((await api.me("acme", next.access_token)).status).toBe(200);
  });

  it("answers a retry inside the grace window with the same successor and a fresh access token", async () => {
    const first = await signup();
    const a = await refreshOk("acme", first.refresh_token);
    clock.advance(9_000);
    const b = await refreshOk("acme", first.refresh_token);
    expect(b.refresh_token).toBe(a.refresh_token);
    expect(b.access_token).not.toBe(a.access_token);
    expect((await api.me("acme", b.access_token)).status).toBe(200);
  });

  it("revokes the whole session when a spent token comes back after the grace window", async () => {
    const first = await signup();
    const second = await refreshOk("acme", first.refresh_token);
    clock.advance(11_000);
    await expectInvalidGrant(await api.refresh("acme", first.refresh_token));
    // The family is dead: the legitimate successor and every access token stop working.
    await expectInvalidGrant(await api.refresh("acme", second.refresh_token));
    await expectRevoked("acme", second.access_token);
    await expectRevoked("acme", first.access_token);
    const row = await sessionRow(first.session_id);
    expect(row.revoked_reason).toBe("refresh_token_reuse");
    expect(logLines.some((line) => line.includes("refresh_token_reuse"))).toBe(true);
  });

  it("treats any older token of the session as reuse, not only the last one", async () => {
    const first = await signup();
    const second = await refreshOk("acme", first.refresh_token);
    clock.advance(11_000);
    const third = await refreshOk("acme", second.refresh_token);
    clock.advance(11_000);
    await expectInvalidGrant(await api.refresh("acme", first.refresh_token));
    await expectInvalidGrant(await api.refresh("acme", third.refresh_token));
  });

  it("does not let a forged token naming a real session revoke it", async () => {
    const first = await signup();
    const [prefixPart, body] = first.refresh_token.split(".");
    const bytes = Buffer.from(body ?? "", "base64url");
    bytes[30] = (bytes[30] ?? 0) ^ 0xff; // other random bytes, same session and generation
    const forged = `${prefixPart}.${bytes.toString("base64url")}.${first.refresh_token.split(".")[2]}`;
    await expectInvalidGrant(await api.refresh("acme", forged));
    await refreshOk("acme", first.refresh_token);
  });
});

describe("expiry", () => {
  it("slides the idle timeout at each refresh, never past the absolute lifetime", async () => {
    const first = await signup("short");
    expect(first.refresh_expires_in).toBe(3600);
    let token = first.refresh_token;
    for (let i = 0; i < 2; i++) {
      clock.advance(50 * 60_000);
      const next = await refreshOk("short", token);
      expect(next.refresh_expires_in).toBe(3600);
      token = next.refresh_token;
    }
    clock.advance(50 * 60_000); // 150 min in: the absolute cap (180 min) is 30 min away
    const capped = await refreshOk("short", token);
    expect(capped.refresh_expires_in).toBe(30 * 60);
    clock.advance(30 * 60_000);
    await expectInvalidGrant(await api.refresh("short", capped.refresh_token));
  });

  it("ends a session left idle longer than the idle timeout", async () => {
    const first = await signup("short");
    clock.advance(3600_000);
    await expectInvalidGrant(await api.refresh("short", first.refresh_token));
  });
});

describe("logout and revocation", () => {
  it("logout revokes the session: its access token and refresh token stop at once", async () => {
    const first = await signup();
    const response = await api.logout("acme", first.access_token, { refresh_token: first.refresh_token });
    expect(response.status).toBe(204);
    await expectRevoked("acme", first.access_token);
    await expectInvalidGrant(await api.refresh("acme", first.refresh_token));
    const row = await sessionRow(first.session_id);
    expect(row.revoked_at).toBeInstanceOf(Date);
    expect(row.revoked_reason).toBe("logout");
  });

  it("needs an access token to log out", async () => {
    const answer = await readAnswer(await api.post("/t/acme/v1/logout", {}));
    expectProblem(answer, 401, "unauthorized");
  });

  it("lists the caller's live sessions and deletes one, which then stops working", async () => {
    const first = await signup();
    const email = `user${users}@example.com`;
    const second = (await (await api.login("acme", email)).json()) as TokenBody;
    const list = (await (await api.sessions("acme", first.access_token)).json()) as {
      sessions: Record<string, unknown>[];
    };
    expect(list.sessions.map((s) => s.id).sort()).toEqual([first.session_id, second.session_id].sort());
    const current = list.sessions.find((s) => s.id === first.session_id);
    expect(current).toMatchObject({ current: true, auth_method: "password", ip: "203.0.113.9" });
    expect(list.sessions.find((s) => s.id === second.session_id)?.current).toBe(false);

    expect((await api.deleteSession("acme", first.access_token, second.session_id)).status).toBe(204);
    await expectRevoked("acme", second.access_token);
    await expectInvalidGrant(await api.refresh("acme", second.refresh_token));
    expect((await api.me("acme", first.access_token)).status).toBe(200);
    const after = (await (await api.sessions("acme", first.access_token)).json()) as { sessions: unknown[] };
    expect(after.sessions).toHaveLength(1);
  });

  it("answers 404 for a session of another user, an unknown one, or a malformed id", async () => {
    const mine = await signup();
    const theirs = await signup();
    for (const id of [theirs.session_id, crypto.randomUUID(), "not-a-uuid"]) {
      expectProblem(await readAnswer(await api.deleteSession("acme", mine.access_token, id)), 404, "not_found");
    }
    expect((await api.me("acme", theirs.access_token)).status).toBe(200);
  });

  it("lets an admin revoke every session of a user", async () => {
    const first = await signup();
    const second = (await (await api.login("acme", `user${users}@example.com`)).json()) as TokenBody;
    expect((await api.revokeSessions("acme", first.user.id)).status).toBe(204);
    for (const tokens of [first, second]) {
      await expectRevoked("acme", tokens.access_token);
      await expectInvalidGrant(await api.refresh("acme", tokens.refresh_token));
    }
    expectProblem(await readAnswer(await api.revokeSessions("acme", crypto.randomUUID())), 404, "not_found");
    expectProblem(await readAnswer(await api.revokeSessions("other", first.user.id)), 404, "not_found");
    const anonymous = await t.app.request(`/t/acme/v1/admin/users/${first.user.id}/revoke-sessions`, {
      method: "POST",
    });
    expect(anonymous.status).toBe(401);
  });
});

describe("Redis loss", () => {
  it("keeps sessions working after Redis lost everything, and the token still rotates exactly once", async () => {
    const first = await signup();
    const rotated = await refreshOk("acme", first.refresh_token);
    await t.services.background.drain();
    await deletePrefix(t.prefix);
    const answers = await Promise.all(Array.from({ length: 5 }, () => api.refresh("acme", rotated.refresh_token)));
    expect(answers.map((r) => r.status)).toEqual(Array(5).fill(200));
    const bodies = (await Promise.all(answers.map((r) => r.json()))) as TokenBody[];
    expect(new Set(bodies.map((b) => b.refresh_token)).size).toBe(1);
    // Reuse detection survives: the token spent before the loss is still reuse.
    clock.advance(11_000);
    await expectInvalidGrant(await api.refresh("acme", first.refresh_token));
    await expectRevoked("acme", bodies[0]?.access_token ?? "");
  });

  it("accepts a token newer than the ledger once (the ledger write had not landed)", async () => {
    const first = await signup();
    const second = await refreshOk("acme", first.refresh_token);
    await t.services.background.drain();
    await db.query("UPDATE sessions SET refresh_generation = 0 WHERE id = $1", [first.session_id]);
    await deletePrefix(t.prefix);
    const third = await refreshOk("acme", second.refresh_token);
    clock.advance(11_000);
    await expectInvalidGrant(await api.refresh("acme", second.refresh_token));
    await expectInvalidGrant(await api.refresh("acme", third.refresh_token));
  });

  it("keeps a session revoked before the loss revoked, refresh and access token alike", async () => {
    const first = await signup();
    expect((await api.logout("acme", first.access_token)).status).toBe(204);
    await deletePrefix(t.prefix);
    await expectRevoked("acme", first.access_token);
    await expectInvalidGrant(await api.refresh("acme", first.refresh_token));
  });
});

describe("cookie mode", () => {
  const ORIGIN = "https://app.acme.example";

  it("puts the refresh token in a __Host- cookie with the strict attributes, and not in the body", async () => {
    const response = await api.post("/t/acme/v1/signup", {
      email: `user${++users}@example.com`,
      password: "correct horse battery staple",
      cookie: true,
    });
    expect(response.status).toBe(201);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body.refresh_token).toBeUndefined();
    expect(body.refresh_expires_in).toBe(30 * 86_400);
    const cookie = response.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/^__Host-refresh=rt1\.[^;]+; Max-Age=2592000; Path=\/; HttpOnly; Secure; SameSite=Strict$/);
    expect(cookie).not.toMatch(/Domain/i);
  });

  it("refreshes and logs out by cookie only from an allowed Origin", async () => {
    const login = await api.post("/t/acme/v1/login", {
      email: `user${users}@example.com`,
      password: "correct horse battery staple",
      cookie: true,
    });
    const { access_token } = (await login.json()) as TokenBody;
    const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    const byCookie = (origin?: string) =>
      t.app.request("/t/acme/v1/token/refresh", {
        method: "POST",
        headers: { Cookie: cookie, ...(origin ? { Origin: origin } : {}) },
      });
    expectProblem(await readAnswer(await byCookie()), 403, "forbidden");
    expectProblem(await readAnswer(await byCookie(ORIGIN)), 403, "forbidden");
    expect((await api.redirectUris("acme", [`${ORIGIN}/callback`])).status).toBe(200);
    expectProblem(await readAnswer(await byCookie("https://evil.example")), 403, "forbidden");
    const refreshed = await byCookie(ORIGIN);
    expect(refreshed.status).toBe(200);
    const body = (await refreshed.json()) as Record<string, unknown>;
    expect(body.refresh_token).toBeUndefined();
    const next = (refreshed.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    expect(next).toMatch(/^__Host-refresh=rt1\./);
    expect(next).not.toBe(cookie);

    const logout = await t.app.request("/t/acme/v1/logout", {
      method: "POST",
      headers: { Cookie: next, Origin: ORIGIN, Authorization: `Bearer ${body.access_token}` },
    });
    expect(logout.status).toBe(204);
    expect(logout.headers.get("set-cookie")).toMatch(
      /^__Host-refresh=; Max-Age=0; Path=\/; HttpOnly; Secure; SameSite=Strict$/,
    );
    await expectRevoked("acme", access_token);
  });
});

describe("bad refresh input", () => {
  it("answers 401 invalid_grant for missing, malformed, truncated, foreign-tenant and unknown tokens", async () => {
    const good = await signup();
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
        { method: "POST", headers: JSON_HEADERS, body: JSON.stringify({ refresh_token: `${good.refresh_token}.x` }) },
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
      const answer = await readAnswer(await t.app.request("/t/acme/v1/token/refresh", init));
      expect(answer.status, name).toBe(401);
      expectProblem(answer, 401, "invalid_grant");
    }
    await expectInvalidGrant(await api.refresh("other", good.refresh_token));
    // None of that harmed the real session.
    await refreshOk("acme", good.refresh_token);
  });

  it("answers 400 for a body of the wrong shape and 415 for another media type", async () => {
    expectProblem(await readAnswer(await api.refresh("acme", 42)), 400, "validation_failed");
    const form = await t.app.request("/t/acme/v1/token/refresh", {
      method: "POST",
      headers: { "Content-Type": "text/plain" },
      body: "x",
    });
    expectProblem(await readAnswer(form), 415, "unsupported_media_type");
    const broken = await t.app.request("/t/acme/v1/token/refresh", {
      method: "POST",
      headers: JSON_HEADERS,
      body: "{",
    });
    expectProblem(await readAnswer(broken), 400, "malformed_body");
  });

  it("never writes a refresh token to the log", async () => {
    const first = await signup();
    await refreshOk("acme", first.refresh_token);
    clock.advance(11_000);
    await api.refresh("acme", first.refresh_token);
    const secrets = [first.refresh_token, first.refresh_token.split(".")[1] ?? ""];
    for (const line of logLines) for (const secret of secrets) expect(line).not.toContain(secret);
    expect(logLines.length).toBeGreaterThan(0);
  });
});

describe("redirect allowlist", () => {
  it("stores exact URIs and refuses unusable ones", async () => {
    const ok = await api.redirectUris("other", [
      "https://a.example/cb",
      "http://127.0.0.1:8080/cb",
      "com.example.app:/cb",
    ]);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({
      redirect_uris: ["https://a.example/cb", "http://127.0.0.1:8080/cb", "com.example.app:/cb"],
    });
    for (const bad of ["/relative", "https://a.example/cb#frag", "javascript:alert(1)", "http://evil.example/cb"]) {
      expectProblem(await readAnswer(await api.redirectUris("other", [bad])), 400, "validation_failed");
    }
    expectProblem(await readAnswer(await api.redirectUris("other", "nope")), 400, "validation_failed");
    const anonymous = await t.app.request("/t/other/v1/admin/redirect-uris", {
      method: "PUT",
      headers: JSON_HEADERS,
      body: JSON.stringify({ redirect_uris: [] }),
    });
    expect(anonymous.status).toBe(401);
  });
});
