/**
 * The token endpoint's refusals (RFC 6749 §5.2 JSON) and the attacks it
 * stops, on real Postgres and Redis: replayed codes, codes of other clients
 * or redirect URIs, PKCE failures, other clients' refresh tokens, grants a
 * client does not have, bodies of other types and bad client secrets.
 */
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { limitForRoute } from "../../src/core/rate-limit/limits.js";
import type { SessionState } from "../../src/core/sessions/session-state.js";
import { SessionStore } from "../../src/core/sessions/session-store.js";
import { appClient, JSON_HEADERS } from "../support/accounts.js";
import { startTestApp, TEST_ADMIN_KEY, TEST_PUBLIC_URL, type TestApp } from "../support/app.js";
import {
  basicAuth,
  oauthFixtures,
  REDIRECT_URI,
  type RegisteredClient,
  randomVerifier,
  tokenRequest,
} from "../support/oidc.js";
import { expectProblem, readAnswer } from "../support/problem.js";

const SLUG = "op";
let t: TestApp;
let fx: ReturnType<typeof oauthFixtures>;
let web: RegisteredClient;
let other: RegisteredClient;
let spa: RegisteredClient;

interface Tokens {
  access_token: string;
  refresh_token: string;
  id_token?: string;
  scope: string;
}

/** An RFC 6749 §5.2 answer: this status and error, JSON, not cached. */
async function expectOAuthError(response: Response, status: number, error: string) {
  const body = (await response.json()) as { error: string; error_description: string };
  expect(response.status, JSON.stringify(body)).toBe(status);
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  expect(response.headers.get("cache-control")).toBe("no-store");
  expect(body.error).toBe(error);
  expect(typeof body.error_description).toBe("string");
  return body;
}

/** A code of `client` for a fresh user, and the form that redeems it. */
async function codeOf(client: RegisteredClient) {
  const user = await fx.login();
  const { code, verifier } = await fx.code({ clientId: client.client_id, ...user });
  const form = { grant_type: "authorization_code", code, redirect_uri: REDIRECT_URI, code_verifier: verifier };
  return { user, code, verifier, form };
}

const asWeb = (form: Record<string, string>, client = web) =>
  tokenRequest(t, SLUG, form, { Authorization: basicAuth(client) });
const asSpa = (form: Record<string, string>) => tokenRequest(t, SLUG, { ...form, client_id: spa.client_id });

async function exchanged(form: Record<string, string>, client = web): Promise<Tokens> {
  const response = await asWeb(form, client);
  expect(response.status, await response.clone().text()).toBe(200);
  return response.json();
}

const userinfo = (token: string) =>
  t.app.request(`/t/${SLUG}/v1/userinfo`, { headers: { Authorization: `Bearer ${token}` } });

beforeAll(async () => {
  t = await startTestApp();
  await appClient(t).createTenant(SLUG);
  fx = oauthFixtures(t, SLUG);
  web = await fx.register({ type: "confidential" });
  other = await fx.register({ type: "confidential" });
  spa = await fx.register({ type: "public" });
});
afterAll(async () => {
  await t?.close();
});

describe("authorization codes", () => {
  it("revokes what a code issued when it is presented again (RFC 6749 §4.1.2)", async () => {
    const { form } = await codeOf(web);
    const first = await exchanged(form);
    expect((await userinfo(first.access_token)).status).toBe(200);
    await expectOAuthError(await asWeb(form), 400, "invalid_grant");
    expectProblem(await readAnswer(await userinfo(first.access_token)), 401, "token_revoked");
    await expectOAuthError(
      await asWeb({ grant_type: "refresh_token", refresh_token: first.refresh_token }),
      400,
      "invalid_grant",
    );
    const audited = async () => {
      const response = await t.app.request(
        `/t/${SLUG}/v1/admin/audit-events?action=session.authorization_code_reused`,
        {
          headers: { Authorization: `Bearer ${TEST_ADMIN_KEY}` },
        },
      );
      return ((await response.json()) as { events: { details: Record<string, unknown> }[] }).events;
    };
    await expect.poll(audited).toEqual([expect.objectContaining({ details: { client_id: web.client_id } })]);
  });

  it("grants no scope the user does not hold, whatever the client may ask for, and none the user gains later", async () => {
    const billing = await fx.register({ type: "confidential", scopes: ["openid", "email", "billing:write"] });
    const patchScopes = (userId: string, scopes: string[]) =>
      t.app.request(`/t/${SLUG}/v1/admin/users/${userId}`, {
        method: "PATCH",
        headers: { ...JSON_HEADERS, Authorization: `Bearer ${TEST_ADMIN_KEY}` },
        body: JSON.stringify({ scopes }),
      });
    const redeem = async (user: Awaited<ReturnType<typeof fx.login>>) => {
      const { code, verifier } = await fx.code({ clientId: billing.client_id, ...user, scope: "openid billing:write" });
      const form = { grant_type: "authorization_code", code, redirect_uri: REDIRECT_URI, code_verifier: verifier };
      return exchanged(form, billing);
    };
    const plain = await fx.login();
    const tokens = await redeem(plain);
    expect(tokens.scope).toBe("openid");
    expect(decodeJwt(tokens.access_token).scope).toBe("openid");
    // Gaining the scope later does not widen a grant made without it.
    expect((await patchScopes(plain.userId, ["billing:write"])).status).toBe(200);
    const refreshed = await exchanged({ grant_type: "refresh_token", refresh_token: tokens.refresh_token }, billing);
    expect(refreshed.scope).toBe("openid");

    const holder = await fx.login();
    expect((await patchScopes(holder.userId, ["billing:write"])).status).toBe(200);
    expect((await redeem(holder)).scope).toBe("openid billing:write");
  });

  it("refuses a code whose user withdrew consent before it was redeemed, and issues nothing", async () => {
    const { user, form } = await codeOf(web);
    expect(await t.services.consents.revoke(await fx.tenantOf(), user.userId, web.client_id)).toBe(true);
    await expectOAuthError(await asWeb(form), 400, "invalid_grant");
    // A first-party client needs no consent: its code stands on the login alone.
    const own = await fx.register({ type: "confidential", first_party: true });
    const login = await fx.login();
    const { code, verifier } = await fx.code({ clientId: own.client_id, ...login });
    await t.services.consents.revoke(await fx.tenantOf(), login.userId, own.client_id);
    const redeemed = { grant_type: "authorization_code", code, redirect_uri: REDIRECT_URI, code_verifier: verifier };
    expect((await asWeb(redeemed, own)).status).toBe(200);
  });

  it("refuses a code presented by another client, and spends it", async () => {
    const { form } = await codeOf(web);
    const body = await expectOAuthError(await asWeb(form, other), 400, "invalid_grant");
    expect(body.error_description).toMatch(/another client/);
    await expectOAuthError(await asWeb(form), 400, "invalid_grant");
  });

  it.each([
    ["another redirect_uri", { redirect_uri: `${REDIRECT_URI}/other` }],
    ["no redirect_uri", { redirect_uri: "" }],
    ["no code_verifier", { code_verifier: "" }],
    ["a wrong code_verifier", { code_verifier: randomVerifier() }],
  ])("refuses %s", async (_what, change) => {
    const { form } = await codeOf(web);
    const changed = Object.fromEntries(Object.entries({ ...form, ...change }).filter(([, v]) => v !== ""));
    await expectOAuthError(await asWeb(changed), 400, "invalid_grant");
  });

  it("refuses a plain PKCE verifier (the challenge itself)", async () => {
    const user = await fx.login();
    const challenge = randomVerifier();
    const { code } = await fx.code({ clientId: web.client_id, codeChallenge: challenge, ...user });
    const form = { grant_type: "authorization_code", code, redirect_uri: REDIRECT_URI, code_verifier: challenge };
    await expectOAuthError(await asWeb(form), 400, "invalid_grant");
  });

  it("refuses a code once the provider session or the user has ended", async () => {
    const ended = await codeOf(web);
    await t.services.sessions.endWithChildren(await fx.tenantOf(), ended.user.providerSessionId);
    await expectOAuthError(await asWeb(ended.form), 400, "invalid_grant");

    const disabled = await codeOf(web);
    await t.deps.db.users.update((await fx.tenantOf()).id, disabled.user.userId, { disabled: true }, new Date());
    await expectOAuthError(await asWeb(disabled.form), 400, "invalid_grant");
  });

  it("answers invalid_grant, not a problem, when the user is disabled while the code's session is issued", async () => {
    const { user, form } = await codeOf(web);
    const tenant = await fx.tenantOf();
    // The disable commits after the endpoint read the user and before the session's insert (login-races.test.ts).
    const sessions = t.services.db.sessions;
    const create = sessions.create;
    sessions.create = async (session) => {
      sessions.create = create;
      await t.deps.db.users.update(tenant.id, user.userId, { disabled: true }, new Date());
      return create(session);
    };
    try {
      await expectOAuthError(await asWeb(form), 400, "invalid_grant");
    } finally {
      sessions.create = create;
    }
  });

  it("ends the client sessions issued under a provider session with it (RP-initiated logout)", async () => {
    const { user, form } = await codeOf(web);
    const tokens = await exchanged(form);
    const second = await fx.code({ clientId: spa.client_id, ...user });
    const spaTokens = (await (
      await asSpa({
        grant_type: "authorization_code",
        code: second.code,
        redirect_uri: REDIRECT_URI,
        code_verifier: second.verifier,
      })
    ).json()) as Tokens;
    expect(await t.services.sessions.endWithChildren(await fx.tenantOf(), user.providerSessionId)).toBe(true);
    for (const token of [tokens.access_token, spaTokens.access_token]) {
      expectProblem(await readAnswer(await userinfo(token)), 401, "token_revoked");
    }
  });

  it("treats a parameter sent without a value as omitted (RFC 6749 §3.2)", async () => {
    // Basic credentials with an empty client_secret and client_id in the form.
    expect((await asWeb({ ...(await codeOf(web)).form, client_secret: "", client_id: "" })).status).toBe(200);
    // A public client's empty secret.
    expect((await asSpa({ ...(await codeOf(spa)).form, client_secret: "" })).status).toBe(200);
    // An empty code_verifier for a code issued without a challenge.
    const user = await fx.login();
    const { code } = await fx.code({ clientId: web.client_id, ...user, codeChallenge: null });
    const form = { grant_type: "authorization_code", code, redirect_uri: REDIRECT_URI, code_verifier: "" };
    expect((await asWeb(form)).status).toBe(200);
  });
});

describe("refresh tokens", () => {
  it("refuses another client's refresh token without spending it", async () => {
    const tokens = await exchanged((await codeOf(web)).form);
    const refresh = { grant_type: "refresh_token", refresh_token: tokens.refresh_token };
    const body = await expectOAuthError(await asWeb(refresh, other), 400, "invalid_grant");
    expect(body.error_description).toMatch(/another client/);
    await expectOAuthError(await asSpa(refresh), 400, "invalid_grant");
    expect((await asWeb(refresh)).status).toBe(200);
  });

  it("refuses a wider scope (invalid_scope) without spending the token", async () => {
    const user = await fx.login();
    const { code, verifier } = await fx.code({ clientId: web.client_id, scope: "openid email", ...user });
    const tokens = await exchanged({
      grant_type: "authorization_code",
      code,
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
    });
    const refresh = { grant_type: "refresh_token", refresh_token: tokens.refresh_token };
    await expectOAuthError(await asWeb({ ...refresh, scope: "openid email profile" }), 400, "invalid_scope");
    const again = (await (await asWeb(refresh)).json()) as Tokens;
    expect(again.scope).toBe("openid email");
  });

  it("narrows a refresh to a scope UserInfo refuses without openid (403 insufficient_scope), by GET or POST", async () => {
    const tokens = await exchanged((await codeOf(web)).form);
    const narrowed = (await (
      await asWeb({ grant_type: "refresh_token", refresh_token: tokens.refresh_token, scope: "email" })
    ).json()) as Tokens;
    expect(narrowed).toMatchObject({ scope: "email" });
    expect(narrowed.id_token).toBeUndefined();
    for (const method of ["GET", "POST"]) {
      const response = await t.app.request(`/t/${SLUG}/v1/userinfo`, {
        method,
        headers: { Authorization: `Bearer ${narrowed.access_token}` },
      });
      expectProblem(await readAnswer(response), 403, "insufficient_scope");
      expect(response.headers.get("www-authenticate")).toContain('error="insufficient_scope"');
    }
    const post = await t.app.request(`/t/${SLUG}/v1/userinfo`, {
      method: "POST",
      headers: { Authorization: `Bearer ${tokens.access_token}` },
    });
    expect(post.status).toBe(200);
    expect(post.headers.get("cache-control")).toBe("no-store");
  });

  it("narrows live grants to the client's scopes as an admin changes them: access token, ID token, UserInfo", async () => {
    const wide = await fx.register({ type: "confidential", scopes: ["openid", "email", "admin"] });
    const patchClient = async (scopes: string[]) => {
      const response = await t.app.request(`/t/${SLUG}/v1/admin/clients/${wide.client_id}`, {
        method: "PATCH",
        headers: { ...JSON_HEADERS, Authorization: `Bearer ${TEST_ADMIN_KEY}` },
        body: JSON.stringify({ scopes }),
      });
      expect(response.status).toBe(200);
    };
    const user = await fx.login();
    const promoted = await t.app.request(`/t/${SLUG}/v1/admin/users/${user.userId}`, {
      method: "PATCH",
      headers: { ...JSON_HEADERS, Authorization: `Bearer ${TEST_ADMIN_KEY}` },
      body: JSON.stringify({ scopes: ["admin"] }),
    });
    expect(promoted.status).toBe(200);
    const { code, verifier } = await fx.code({ clientId: wide.client_id, scope: "openid email admin", ...user });
    const form = { grant_type: "authorization_code", code, redirect_uri: REDIRECT_URI, code_verifier: verifier };
    let tokens = await exchanged(form, wide);
    expect(tokens.scope).toBe("openid email admin");
    const refresh = async () => {
      tokens = await exchanged({ grant_type: "refresh_token", refresh_token: tokens.refresh_token }, wide);
      return tokens;
    };

    await patchClient(["openid"]);
    expect(await refresh()).toMatchObject({ scope: "openid", id_token: expect.any(String) });
    expect(decodeJwt(tokens.access_token).scope).toBe("openid");
    expect(await (await userinfo(tokens.access_token)).json()).toEqual({ sub: user.userId });
    // A scope the client no longer has is not granted by asking for it.
    const asked = await asWeb(
      { grant_type: "refresh_token", refresh_token: tokens.refresh_token, scope: "openid admin" },
      wide,
    );
    tokens = (await asked.json()) as Tokens;
    expect(tokens.scope).toBe("openid");

    await patchClient(["email"]);
    const withoutOpenid = await refresh();
    expect(withoutOpenid.scope).toBe("email");
    expect(withoutOpenid.id_token).toBeUndefined();
    // The client's scopes given back: the grant, never more than was authorized.
    await patchClient(["openid", "email", "profile", "admin"]);
    expect((await refresh()).scope).toBe("openid email admin");
  });

  it("keeps a client's refresh token off the first-party refresh route, unspent (RFC 6749 §10.4)", async () => {
    const tokens = await exchanged((await codeOf(web)).form);
    const sid = decodeJwt(tokens.access_token).sid as string;
    const generation = async () => ((await new SessionStore(t.deps.kv).read(sid)) as SessionState).generation;
    const before = await generation();
    // Whoever holds the token without the client's secret can neither spend it (its client would then
    // be told of reuse after the grace window, and the user logged out) nor set off reuse detection.
    for (let i = 0; i < 2; i++) {
      expectProblem(await readAnswer(await appClient(t).refresh(SLUG, tokens.refresh_token)), 401, "invalid_grant");
    }
    expect(await generation()).toBe(before);
    const refreshed = await exchanged({ grant_type: "refresh_token", refresh_token: tokens.refresh_token });
    expect(await generation()).toBe(before + 1);
    expect((await userinfo(refreshed.access_token)).status).toBe(200);
  });
});

describe("clients and grants", () => {
  it("answers a bad secret with 401 invalid_client, challenging for Basic when Basic was tried", async () => {
    const form = { grant_type: "client_credentials" };
    const wrong = { ...web, client_secret: "not-the-secret" };
    const basic = await tokenRequest(t, SLUG, form, { Authorization: basicAuth(wrong) });
    await expectOAuthError(basic, 401, "invalid_client");
    expect(basic.headers.get("www-authenticate")).toBe(`Basic realm="${TEST_PUBLIC_URL}/t/${SLUG}"`);
    const post = await tokenRequest(t, SLUG, { ...form, client_id: web.client_id, client_secret: "not-the-secret" });
    await expectOAuthError(post, 401, "invalid_client");
    expect(post.headers.get("www-authenticate")).toBeNull();
    await expectOAuthError(await tokenRequest(t, SLUG, form), 401, "invalid_client");
  });

  it("leaves scope out of a client_credentials answer that grants none (RFC 6749 §3.3: a scope has a token)", async () => {
    const machine = await fx.register({ type: "confidential", grant_types: ["client_credentials"] });
    const response = await tokenRequest(
      t,
      SLUG,
      { grant_type: "client_credentials" },
      { Authorization: basicAuth(machine) },
    );
    expect(response.status, await response.clone().text()).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ token_type: "Bearer", expires_in: expect.any(Number) });
    expect(body).not.toHaveProperty("scope");
  });

  it("refuses grants the client does not have (unauthorized_client) and unknown ones", async () => {
    await expectOAuthError(await asSpa({ grant_type: "client_credentials" }), 400, "unauthorized_client");
    await expectOAuthError(await asWeb({ grant_type: "client_credentials" }), 400, "unauthorized_client");
    const codeOnly = await fx.register({ type: "confidential", grant_types: ["authorization_code"] });
    const tokens = await exchanged((await codeOf(codeOnly)).form, codeOnly);
    expect(tokens.refresh_token).toBeUndefined();
    await expectOAuthError(
      await asWeb({ grant_type: "password", username: "a", password: "b" }),
      400,
      "unsupported_grant_type",
    );
    await expectOAuthError(await asWeb({}), 400, "invalid_request");
  });

  it("gives a client's tokens the client's own lifetimes", async () => {
    const brief = await fx.register({ type: "confidential", access_token_ttl: 120, refresh_token_ttl: 600 });
    const before = Date.now();
    const tokens = (await (await asWeb((await codeOf(brief)).form, brief)).json()) as Tokens & { expires_in: number };
    expect(tokens.expires_in).toBe(120);
    const sid = decodeJwt(tokens.access_token).sid as string;
    const session = await t.services.sessions.find(await fx.tenantOf(), sid);
    const idle = (session?.expiresAt.getTime() ?? 0) - before;
    expect(idle).toBeGreaterThanOrEqual(599_000);
    expect(idle).toBeLessThanOrEqual(610_000);
    expect(session?.clientId).toBe(brief.client_id);
  });

  it("takes forms only, each parameter once (RFC 6749 §3.2)", async () => {
    const json = await t.app.request(`/t/${SLUG}/oauth2/token`, {
      method: "POST",
      headers: { ...JSON_HEADERS, Authorization: basicAuth(web) },
      body: JSON.stringify({ grant_type: "client_credentials" }),
    });
    await expectOAuthError(json, 400, "invalid_request");
    const twice = await t.app.request(`/t/${SLUG}/oauth2/token`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Authorization: basicAuth(web) },
      body: "grant_type=refresh_token&refresh_token=a&refresh_token=b",
    });
    const body = await expectOAuthError(twice, 400, "invalid_request");
    expect(body.error_description).toBe("Each parameter must be sent once: refresh_token.");
    const nul = await tokenRequest(
      t,
      SLUG,
      { grant_type: "authorization_code", code: "a\u0000b" },
      { Authorization: basicAuth(web) },
    );
    expect((await expectOAuthError(nul, 400, "invalid_request")).error_description).toMatch(/^code /);
  });

  it("says in error_description only characters RFC 6749 §5.2 allows, however the request names its fields", async () => {
    const hostile = await t.app.request(`/t/${SLUG}/oauth2/token`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Authorization: basicAuth(web) },
      body: `${"%01%C3%A4%22%5C".repeat(200)}=1&${"%01%C3%A4%22%5C".repeat(200)}=2`,
    });
    const { error_description } = await expectOAuthError(hostile, 400, "invalid_request");
    expect(error_description).toMatch(/^[\x20-\x21\x23-\x5b\x5d-\x7e]{1,300}$/);
    const form = await t.app.request(`/t/${SLUG}/oauth2/token`, {
      method: "POST",
      headers: { ...JSON_HEADERS, Authorization: basicAuth(web) },
      body: "{}",
    });
    expect((await expectOAuthError(form, 400, "invalid_request")).error_description).toContain("RFC 6749 section 3.2");
  });
});

describe("browsers and limits", () => {
  it("lets a public client's page call the token endpoint and UserInfo from any origin, without credentials", async () => {
    for (const path of ["oauth2/token", "v1/userinfo"]) {
      const preflight = await t.app.request(`/t/${SLUG}/${path}`, {
        method: "OPTIONS",
        headers: {
          Origin: "https://spa.example",
          "Access-Control-Request-Method": "POST",
          "Access-Control-Request-Headers": "authorization, content-type",
        },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get("access-control-allow-origin")).toBe("*");
      expect(preflight.headers.get("access-control-allow-methods")).toBe("GET, POST");
      expect(preflight.headers.get("access-control-allow-credentials")).toBeNull();
    }
    const { form } = await codeOf(spa);
    const response = await tokenRequest(
      t,
      SLUG,
      { ...form, client_id: spa.client_id },
      { Origin: "https://spa.example" },
    );
    expect(response.status).toBe(200);
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
  });

  it("counts the token endpoint against the token limit", async () => {
    expect(limitForRoute("POST", "/t/:tenant/oauth2/token")).toBe("token");
    const response = await asWeb({ grant_type: "client_credentials" });
    expect(response.headers.get("ratelimit-policy")).toBe("120;w=60");
  });
});
