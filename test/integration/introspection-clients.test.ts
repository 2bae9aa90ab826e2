/**
 * Introspection (RFC 7662) and revocation (RFC 7009) called by an OAuth
 * client (confidential: HTTP Basic or client_secret_post; public, at
 * revocation only: its client_id) on real Postgres and Redis: a client
 * learns about and revokes only tokens issued to it; an API key's view is
 * unchanged.
 */
import { Redis } from "ioredis";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Tenant } from "../../src/core/ports/database.js";
import { appClient, JSON_HEADERS, type TokenBody } from "../support/accounts.js";
import { startTestApp, TEST_ADMIN_KEY, type TestApp } from "../support/app.js";
import { expectProblem, readAnswer } from "../support/problem.js";
import { deletePrefix } from "../support/redis.js";
import { REDIS_URL } from "../support/services.js";

interface Client {
  client_id: string;
  client_secret?: string;
}

let t: TestApp;
let api: ReturnType<typeof appClient>;
let db: pg.Client;
let redis: Redis;
let tenant: Tenant;
let serviceKey: string;
let mine: Client;
let theirs: Client;
let spa: Client;
let n = 0;

const admin = { ...JSON_HEADERS, Authorization: `Bearer ${TEST_ADMIN_KEY}` };
const register = async (body: Record<string, unknown>): Promise<Client> => {
  const response = await t.app.request("/t/intro/v1/admin/clients", {
    method: "POST",
    headers: admin,
    body: JSON.stringify({ redirect_uris: ["https://app.example/cb"], ...body }),
  });
  expect(response.status).toBe(201);
  return response.json();
};

beforeAll(async () => {
  t = await startTestApp();
  api = appClient(t);
  db = new pg.Client({ connectionString: t.database.url });
  await db.connect();
  redis = new Redis(REDIS_URL);
  await api.createTenant("intro");
  tenant = (await t.deps.db.tenants.findBySlug("intro")) as Tenant;
  const key = await t.app.request("/t/intro/v1/admin/api-keys", {
    method: "POST",
    headers: admin,
    body: JSON.stringify({ name: "gateway", scopes: ["tokens:introspect"] }),
  });
  serviceKey = ((await key.json()) as { key: string }).key;
  mine = await register({ name: "Mine", type: "confidential" });
  theirs = await register({ name: "Theirs", type: "confidential" });
  spa = await register({ name: "SPA", type: "public" });
});
afterAll(async () => {
  redis.disconnect();
  await db.end();
  await t.close();
});

/**
 * A session issued to `clientId`, with its tokens. Until the token endpoint
 * issues them, a first-party session is handed to the client in the ledger
 * and its Redis state dropped (as after a Redis loss, the ledger is read
 * then); its access token is one the service signs for that client.
 */
async function sessionOf(clientId: string): Promise<{ access: string; refresh: string; sessionId: string }> {
  const signed = (await (await api.signup("intro", `u${++n}@example.com`)).json()) as TokenBody & {
    user: { id: string };
  };
  await db.query("UPDATE sessions SET client_id = $1 WHERE id = $2", [clientId, signed.session_id]);
  await redis.del(`${t.prefix}sess:{${signed.session_id}}`);
  const { token } = await t.services.tokens.issue(tenant, {
    userId: signed.user.id,
    sessionId: signed.session_id,
    clientId,
    scope: "openid",
    authTime: new Date(),
    amr: ["pwd"],
  });
  return { access: token, refresh: signed.refresh_token, sessionId: signed.session_id };
}

type Auth = "basic" | "post";
const basic = (client: Client) => `Basic ${btoa(`${client.client_id}:${client.client_secret}`)}`;

/** A call as the client: Basic, or client_secret_post in the form body. */
function asClient(path: "introspect" | "revoke", client: Client, auth: Auth, body: Record<string, string>) {
  const form =
    auth === "post" ? { ...body, client_id: client.client_id, client_secret: client.client_secret ?? "" } : body;
  return t.app.request(`/t/intro/v1/${path}`, {
    method: "POST",
    headers: {
      "Content-Type": "application/x-www-form-urlencoded",
      ...(auth === "basic" ? { Authorization: basic(client) } : {}),
    },
    body: new URLSearchParams(form).toString(),
  });
}
const asKey = (path: "introspect" | "revoke", token: string) =>
  t.app.request(`/t/intro/v1/${path}`, {
    method: "POST",
    headers: { ...JSON_HEADERS, Authorization: `Bearer ${serviceKey}` },
    body: JSON.stringify({ token }),
  });

async function introspectAs(client: Client, auth: Auth, token: string) {
  const response = await asClient("introspect", client, auth, { token });
  expect(response.status).toBe(200);
  expect(response.headers.get("cache-control")).toBe("no-store");
  return (await response.json()) as Record<string, unknown>;
}
const activeForKey = async (token: string) =>
  ((await (await asKey("introspect", token)).json()) as { active: boolean }).active;

describe("introspection by a client", () => {
  it.each(["basic", "post"] as const)("describes the client's own tokens (%s)", async (auth) => {
    const { access, refresh, sessionId } = await sessionOf(mine.client_id);
    expect(await introspectAs(mine, auth, access)).toMatchObject({
      active: true,
      token_type: "Bearer",
      client_id: mine.client_id,
      sid: sessionId,
    });
    expect(await introspectAs(mine, auth, refresh)).toMatchObject({
      active: true,
      token_type: "refresh_token",
      client_id: mine.client_id,
      sid: sessionId,
    });
  });

  it("says only `active: false` about another client's or a first-party token", async () => {
    const { access, refresh } = await sessionOf(mine.client_id);
    const firstParty = (await (await api.signup("intro", `u${++n}@example.com`)).json()) as TokenBody;
    for (const token of [access, refresh]) {
      expect(await introspectAs(theirs, "basic", token)).toEqual({ active: false });
      // An API key still sees every token of the tenant.
      expect(await activeForKey(token)).toBe(true);
    }
    for (const token of [firstParty.access_token, firstParty.refresh_token]) {
      expect(await introspectAs(mine, "post", token)).toEqual({ active: false });
    }
  });

  it("also takes a JSON body with Basic", async () => {
    const { access } = await sessionOf(mine.client_id);
    const response = await t.app.request("/t/intro/v1/introspect", {
      method: "POST",
      headers: { ...JSON_HEADERS, Authorization: basic(mine) },
      body: JSON.stringify({ token: access }),
    });
    expect(await response.json()).toMatchObject({ active: true, client_id: mine.client_id });
  });
});

describe("revocation by a client", () => {
  it.each(["basic", "post"] as const)("revokes the client's own refresh and access tokens (%s)", async (auth) => {
    const refreshSession = await sessionOf(mine.client_id);
    const revoked = await asClient("revoke", mine, auth, {
      token: refreshSession.refresh,
      token_type_hint: "refresh_token",
    });
    expect(revoked.status).toBe(200);
    expect(await activeForKey(refreshSession.refresh)).toBe(false);
    expect(await activeForKey(refreshSession.access)).toBe(false);

    const accessSession = await sessionOf(mine.client_id);
    expect((await asClient("revoke", mine, auth, { token: accessSession.access })).status).toBe(200);
    expect(await activeForKey(accessSession.access)).toBe(false);
    // Revoking an access token leaves its session's refresh token alone.
    expect(await activeForKey(accessSession.refresh)).toBe(true);
  });

  it("answers 200 for another client's token but revokes nothing (RFC 7009 §2.1)", async () => {
    const { access, refresh } = await sessionOf(mine.client_id);
    for (const token of [refresh, access]) {
      const response = await asClient("revoke", theirs, "basic", { token });
      expect(response.status).toBe(200);
      expect(await response.text()).toBe("");
      expect(await activeForKey(token)).toBe(true);
    }
  });

  it("takes a public client by its client_id alone, for its own tokens only (RFC 7009 §2.1)", async () => {
    const byId = (client: Client, token: string) =>
      t.app.request("/t/intro/v1/revoke", {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ token, client_id: client.client_id }).toString(),
      });
    const others = await sessionOf(mine.client_id);
    for (const token of [others.refresh, others.access]) {
      expect((await byId(spa, token)).status).toBe(200);
      expect(await activeForKey(token)).toBe(true);
    }
    const own = await sessionOf(spa.client_id);
    expect((await byId(spa, own.refresh)).status).toBe(200);
    expect(await activeForKey(own.refresh)).toBe(false);
    expect(await activeForKey(own.access)).toBe(false);
    // A confidential client's id alone is no authentication.
    const answer = await readAnswer(await byId(mine, others.refresh));
    expect(answer.status).toBe(401);
    expect(answer.json).toMatchObject({ error: "invalid_client" });
    expect(await activeForKey(others.refresh)).toBe(true);
  });

  it("keeps an access token revoked alone refused after Redis lost its data, and nothing else", async () => {
    const revoked = await sessionOf(mine.client_id);
    const other = await sessionOf(mine.client_id);
    expect((await asClient("revoke", mine, "basic", { token: revoked.access })).status).toBe(200);
    await deletePrefix(t.prefix);
    expect(await activeForKey(revoked.access)).toBe(false);
    const me = await t.app.request("/t/intro/v1/me", { headers: { Authorization: `Bearer ${revoked.access}` } });
    expect(me.status).toBe(401);
    // The session and the other session's token go on.
    expect(await activeForKey(revoked.refresh)).toBe(true);
    expect(await activeForKey(other.access)).toBe(true);
  });

  it("keeps it refused when a refresh is the first request after the Redis loss (the session is re-seeded)", async () => {
    const signed = (await (await api.signup("intro", `u${++n}@example.com`)).json()) as TokenBody;
    expect((await asKey("revoke", signed.access_token)).status).toBe(200);
    await deletePrefix(t.prefix);
    const refreshed = await t.app.request("/t/intro/v1/token/refresh", {
      method: "POST",
      headers: JSON_HEADERS,
      body: JSON.stringify({ refresh_token: signed.refresh_token }),
    });
    expect(refreshed.status).toBe(200);
    const successor = (await refreshed.json()) as TokenBody;
    expect(await activeForKey(signed.access_token)).toBe(false);
    const me = await t.app.request("/t/intro/v1/me", { headers: { Authorization: `Bearer ${signed.access_token}` } });
    expect(me.status).toBe(401);
    expect(await activeForKey(successor.access_token)).toBe(true);
  });

  it("leaves the API key's revocation as it was: any token of the tenant", async () => {
    const { refresh } = await sessionOf(theirs.client_id);
    expect((await asKey("revoke", refresh)).status).toBe(200);
    expect(await activeForKey(refresh)).toBe(false);
  });
});

describe("client authentication failures", () => {
  async function expectInvalidClient(response: Response, challenge: boolean) {
    const answer = await readAnswer(response);
    expect(answer.status).toBe(401);
    expect(answer.headers.get("content-type")).toBe("application/json");
    expect(answer.headers.get("cache-control")).toBe("no-store");
    expect(answer.json).toEqual({ error: "invalid_client", error_description: expect.any(String) });
    expect(answer.headers.get("www-authenticate")).toBe(
      challenge ? 'Basic realm="https://auth.test.example/t/intro"' : null,
    );
  }

  it.each(["introspect", "revoke"] as const)("refuses wrong secrets at %s", async (path) => {
    const wrong = { ...mine, client_secret: "wrong" };
    await expectInvalidClient(await asClient(path, wrong, "basic", { token: "x" }), true);
    await expectInvalidClient(await asClient(path, wrong, "post", { token: "x" }), false);
    // A public client has no secret to send.
    await expectInvalidClient(await asClient(path, { client_id: spa.client_id }, "basic", { token: "x" }), true);
  });

  it("refuses a public client at introspection", async () => {
    const bareId = await t.app.request("/t/intro/v1/introspect", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token: "x", client_id: spa.client_id }).toString(),
    });
    await expectInvalidClient(bareId, false);
  });

  it("refuses two methods at once and a repeated client_id with invalid_request", async () => {
    const both = await t.app.request("/t/intro/v1/introspect", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Authorization: basic(mine) },
      body: new URLSearchParams({ token: "x", client_secret: mine.client_secret ?? "" }).toString(),
    });
    expect(both.status).toBe(400);
    expect(await both.json()).toMatchObject({ error: "invalid_request" });
    const twice = await t.app.request("/t/intro/v1/introspect", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: `token=x&client_id=${mine.client_id}&client_id=${theirs.client_id}&client_secret=${mine.client_secret}`,
    });
    expect(twice.status).toBe(400);
    expect(await twice.json()).toMatchObject({ error: "invalid_request" });
  });

  it("keeps the API key's challenge when no credentials are sent", async () => {
    const answer = await readAnswer(
      await t.app.request("/t/intro/v1/introspect", {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: "token=x",
      }),
    );
    expectProblem(answer, 401, "unauthorized");
    expect(answer.headers.get("www-authenticate")).toBe('Bearer realm="https://auth.test.example/t/intro"');
  });

  it("records the client as the actor of a revocation it made", async () => {
    const { refresh, sessionId } = await sessionOf(mine.client_id);
    expect((await asClient("revoke", mine, "basic", { token: refresh })).status).toBe(200);
    // Security events are written after the answer.
    await t.services.background.drain();
    const events = await t.app.request("/t/intro/v1/admin/audit-events?action=session.revoked", { headers: admin });
    const { events: entries } = (await events.json()) as { events: Record<string, unknown>[] };
    expect(entries).toContainEqual(
      expect.objectContaining({
        actor: { type: "client", id: mine.client_id },
        target: { type: "session", id: sessionId },
      }),
    );
  });
});
