/**
 * Token introspection (RFC 7662) and revocation (RFC 7009) for other
 * services, through the whole app on real Postgres and Redis.
 */

import { SignJWT } from "jose";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appClient, decode, JSON_HEADERS, type TokenBody } from "../support/accounts.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { expectProblem, readAnswer } from "../support/problem.js";

let t: TestApp;
let api: ReturnType<typeof appClient>;
let db: pg.Client;
let serviceKey: string;
let n = 0;

beforeAll(async () => {
  t = await startTestApp();
  api = appClient(t);
  db = new pg.Client({ connectionString: t.database.url });
  await db.connect();
  await api.createTenant("intro");
  await api.createTenant("far");
  const owner = (await (await api.signup("intro", "svc@example.com")).json()) as TokenBody & { user: { id: string } };
  await db.query(`UPDATE users SET scopes = '["admin"]' WHERE id = $1`, [owner.user.id]);
  const admin = (await (await api.login("intro", "svc@example.com")).json()) as TokenBody;
  const created = await t.app.request("/t/intro/v1/api-keys", {
    method: "POST",
    headers: { ...JSON_HEADERS, Authorization: `Bearer ${admin.access_token}` },
    body: JSON.stringify({ name: "gateway", scopes: ["tokens:introspect"] }),
  });
  serviceKey = ((await created.json()) as { key: string }).key;
});
afterAll(async () => {
  await db.end();
  await t.close();
});

const session = async (tenant = "intro") =>
  (await (await api.signup(tenant, `u${++n}@example.com`)).json()) as TokenBody & { user: { id: string } };

function call(path: "introspect" | "revoke", body: Record<string, string>, form = false, tenant = "intro") {
  return t.app.request(`/t/${tenant}/v1/${path}`, {
    method: "POST",
    headers: {
      Authorization: `Bearer ${serviceKey}`,
      "Content-Type": form ? "application/x-www-form-urlencoded" : "application/json",
    },
    body: form ? new URLSearchParams(body).toString() : JSON.stringify(body),
  });
}
const introspect = async (token: string, extra: Record<string, string> = {}, form = false) =>
  (await (await call("introspect", { token, ...extra }, form)).json()) as Record<string, unknown>;

describe("introspection", () => {
  it("describes an active access token, from JSON or form bodies", async () => {
    const s = await session();
    const claims = decode(s.access_token).claims;
    for (const form of [false, true]) {
      expect(await introspect(s.access_token, {}, form)).toEqual({
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
    }
  });

  it("describes the current refresh token, and finds tokens whatever the hint says", async () => {
    const seconds = () => Math.floor(Date.now() / 1000);
    const before = seconds();
    const s = await session();
    const issued = seconds();
    const refresh = await introspect(s.refresh_token);
    expect(refresh).toMatchObject({ active: true, token_type: "refresh_token", sub: s.user.id, sid: s.session_id });
    // iat: when the token was issued (the login here, the rotation below).
    expect(refresh.iat).toBeGreaterThanOrEqual(before);
    expect(refresh.iat).toBeLessThanOrEqual(issued);
    expect(await introspect(s.refresh_token, { token_type_hint: "access_token" })).toEqual(refresh);
    expect((await introspect(s.access_token, { token_type_hint: "refresh_token" })).active).toBe(true);
    const rotating = seconds();
    const next = (await (await api.refresh("intro", s.refresh_token)).json()) as TokenBody;
    const rotated = seconds();
    expect(await introspect(s.refresh_token)).toEqual({ active: false });
    const successor = await introspect(next.refresh_token);
    expect(successor).toMatchObject({ active: true, sid: s.session_id });
    expect(successor.iat).toBeGreaterThanOrEqual(rotating);
    expect(successor.iat).toBeLessThanOrEqual(rotated);
  });

  it("answers only {active:false} for forged, foreign, malformed and revoked tokens", async () => {
    const s = await session();
    const foreign = await session("far");
    const header = s.access_token.split(".")[0];
    const forged = await new SignJWT({ sub: s.user.id })
      .setProtectedHeader({ alg: "HS256", typ: "at+jwt" })
      .sign(new Uint8Array(32));
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...decode(s.access_token).claims, scope: "admin" })).toString("base64url")}.${s.access_token.split(".")[2]}`;
    for (const token of [forged, tampered, foreign.access_token, foreign.refresh_token, "garbage", "", "rt1.x.y"]) {
      expect(await introspect(token)).toEqual({ active: false });
    }
    expect((await api.logout("intro", s.access_token)).status).toBe(204);
    expect(await introspect(s.access_token)).toEqual({ active: false });
    expect(await introspect(s.refresh_token)).toEqual({ active: false });
  });

  it("answers {active:false} for a token longer than any it issues (RFC 7662 §2.2), within the body limit", async () => {
    for (const form of [false, true]) {
      const answer = await call("introspect", { token: "x".repeat(8193) }, form);
      expect(answer.status).toBe(200);
      expect(await answer.json()).toEqual({ active: false });
    }
    const s = await session();
    expect(await introspect(`${s.access_token}${"A".repeat(8192)}`)).toEqual({ active: false });
    expectProblem(await readAnswer(await call("introspect", { token: "x".repeat(70_000) })), 413, "payload_too_large");
  });

  it("needs an API key with tokens:introspect of this tenant", async () => {
    const s = await session();
    const anonymous = await t.app.request("/t/intro/v1/introspect", {
      method: "POST",
      headers: JSON_HEADERS,
      body: JSON.stringify({ token: s.access_token }),
    });
    expectProblem(await readAnswer(anonymous), 401, "unauthorized");
    expectProblem(
      await readAnswer(await call("introspect", { token: s.access_token }, false, "far")),
      401,
      "invalid_token",
    );
    expectProblem(await readAnswer(await call("introspect", {}, false)), 400, "validation_failed");
  });
});

describe("revocation", () => {
  it("revokes a refresh token's whole session", async () => {
    const s = await session();
    const answer = await call("revoke", { token: s.refresh_token, token_type_hint: "refresh_token" }, true);
    expect(answer.status).toBe(200);
    expectProblem(await readAnswer(await api.me("intro", s.access_token)), 401, "token_revoked");
    expectProblem(await readAnswer(await api.refresh("intro", s.refresh_token)), 401, "invalid_grant");
  });

  it("blocklists an access token without ending its session", async () => {
    const s = await session();
    expect((await call("revoke", { token: s.access_token, token_type_hint: "refresh_token" })).status).toBe(200);
    expectProblem(await readAnswer(await api.me("intro", s.access_token)), 401, "token_revoked");
    const next = (await (await api.refresh("intro", s.refresh_token)).json()) as TokenBody;
    expect((await api.me("intro", next.access_token)).status).toBe(200);
  });

  it("answers 200 for a token longer than any it issues, changing nothing; 400 without a token", async () => {
    const s = await session();
    for (const form of [false, true]) {
      expect((await call("revoke", { token: `${s.refresh_token}${"A".repeat(8192)}` }, form)).status).toBe(200);
    }
    expect((await api.me("intro", s.access_token)).status).toBe(200);
    expectProblem(await readAnswer(await call("revoke", { token: "x".repeat(70_000) })), 413, "payload_too_large");
    expectProblem(await readAnswer(await call("revoke", {})), 400, "validation_failed");
  });

  it("answers 200 for unknown, malformed and foreign tokens, changing nothing", async () => {
    const foreign = await session("far");
    for (const token of ["unknown", "rt1.AAAA.k:x", foreign.access_token, foreign.refresh_token]) {
      expect((await call("revoke", { token })).status).toBe(200);
    }
    expect((await api.me("far", foreign.access_token)).status).toBe(200);
  });
});
