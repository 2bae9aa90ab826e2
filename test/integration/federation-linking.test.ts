/**
 * Pre-account takeover through SSO linking, as an attack: someone signs up
 * with the victim's address and a password of their own (nothing verifies the
 * address); the victim later logs in through an OpenID Connect provider (a real
 * one, oidc-provider) or a SAML IdP that asserts the address verified. The
 * login must not join the attacker's account: it ends at the client app with
 * access_denied, no code, no linked identity, a warning and a count. Linking
 * happens only when this service verified the account's address too.
 */
import { Redis } from "ioredis";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AccountTokens } from "../../src/core/accounts/account-tokens.js";
import { appClient, decode, GOOD_PASSWORD, JSON_HEADERS, type TokenBody } from "../support/accounts.js";
import { startTestApp, TEST_ADMIN_KEY, TEST_PUBLIC_URL, type TestApp } from "../support/app.js";
import { type OidcProvider, startOidcProvider } from "../support/oidc-provider.js";
import { recordingLogger, recordingMetrics } from "../support/recorders.js";
import { scanKeys } from "../support/redis.js";
import { createSamlIdp, type SamlIdp } from "../support/saml-idp.js";
import { REDIS_URL } from "../support/services.js";

const APP = "https://app.example.com/callback";
const TENANT = "linking";
const ADMIN = { Authorization: `Bearer ${TEST_ADMIN_KEY}`, ...JSON_HEADERS };
const ATTACKER_PASSWORD = "attacker's own password 4711";
const REFUSED = /already exists/;

let t: TestApp;
let api: ReturnType<typeof appClient>;
let op: OidcProvider;
let idp: SamlIdp;
let sql: pg.Client;
let redis: Redis;
const logs = recordingLogger();
const recorded = recordingMetrics();

beforeAll(async () => {
  t = await startTestApp({ logger: logs.logger, metrics: recorded.metrics });
  api = appClient(t);
  op = await startOidcProvider({
    clientId: "authority",
    clientSecret: "authority-secret-0123456789",
    redirectUris: [`${TEST_PUBLIC_URL}/t/${TENANT}/v1/oauth/op/callback`],
  });
  idp = createSamlIdp({ entityId: "https://idp.test/metadata", ssoUrl: "https://idp.test/sso" });
  await api.createTenant(TENANT);
  expect((await api.redirectUris(TENANT, [APP])).status).toBe(200);
  const provider = await t.app.request(`/t/${TENANT}/v1/admin/oauth-providers/op`, {
    method: "PUT",
    headers: ADMIN,
    body: JSON.stringify({ client_id: "authority", client_secret: "authority-secret-0123456789", issuer: op.issuer }),
  });
  expect(provider.status, await provider.clone().text()).toBe(200);
  const connection = await t.app.request(`/t/${TENANT}/v1/admin/saml-connections/acme`, {
    method: "PUT",
    headers: ADMIN,
    // The IdP's emails count as verified, so only this service's own verification decides.
    body: JSON.stringify({ idp_metadata_xml: idp.metadataXml, trust_email: true }),
  });
  expect(connection.status, await connection.clone().text()).toBe(200);
  sql = new pg.Client({ connectionString: t.database.url });
  await sql.connect();
  redis = new Redis(REDIS_URL);
});

afterAll(async () => {
  await Promise.allSettled([op?.close(), sql?.end(), redis?.quit()]);
  await t?.close();
});

/** authorize -> the provider's login form as `account` -> our callback; resolves the client app's redirect. */
async function oidcLogin(account: string): Promise<URL> {
  const query = new URLSearchParams({ redirect_uri: APP, state: `app-${account}` });
  const start = await t.app.request(`/t/${TENANT}/v1/oauth/op/authorize?${query}`);
  expect(start.status, await start.clone().text()).toBe(302);
  const callback = await op.login(start.headers.get("location") ?? "", account);
  const back = await t.app.request(callback.pathname + callback.search);
  expect(back.status, await back.clone().text()).toBe(302);
  const location = new URL(back.headers.get("location") ?? "");
  expect(location.origin + location.pathname).toBe(APP);
  return location;
}

/** login -> the test IdP answers for `nameId` (an email NameID) -> ACS; resolves the client app's redirect. */
async function samlLogin(nameId: string, attributes?: Record<string, string>): Promise<URL> {
  const query = new URLSearchParams({ redirect_uri: APP, state: "app-saml" });
  const start = await t.app.request(`/t/${TENANT}/v1/saml/acme/login?${query}`);
  expect(start.status).toBe(302);
  const request = idp.parseAuthnRequest(start.headers.get("location") ?? "");
  const response = await t.app.request(`/t/${TENANT}/v1/saml/acme/acs`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      SAMLResponse: await idp.response({ nameId, respondTo: request, ...(attributes ? { attributes } : {}) }),
      RelayState: request.relayState ?? "",
    }).toString(),
  });
  expect(response.status, await response.clone().text()).toBe(302);
  const location = new URL(response.headers.get("location") ?? "");
  expect(location.origin + location.pathname).toBe(APP);
  return location;
}

const exchange = async (code: string | null): Promise<TokenBody> => {
  const answer = await t.app.request(`/t/${TENANT}/v1/token/exchange`, {
    method: "POST",
    headers: JSON_HEADERS,
    body: JSON.stringify({ code }),
  });
  expect(answer.status, await answer.clone().text()).toBe(200);
  return (await answer.json()) as TokenBody;
};

const passwordLogin = async (email: string, password: string): Promise<TokenBody> => {
  const answer = await api.login(TENANT, email, password);
  expect(answer.status, await answer.clone().text()).toBe(200);
  return (await answer.json()) as TokenBody;
};

const sessionsOf = async (token: string) =>
  ((await (await api.sessions(TENANT, token)).json()) as { sessions: { auth_method: string }[] }).sessions;

const identitiesOf = async (userId: string) =>
  (await sql.query("SELECT provider FROM user_identities WHERE user_id = $1", [userId])).rows;

/** One-time codes waiting in Redis (any tenant's, under this file's own key prefix). */
async function pendingCodes(): Promise<number> {
  return (await scanKeys(redis, `${t.prefix}login-code:`)).length;
}

/** The attacker's move: a password account under someone else's address. */
async function attackerSignsUp(email: string): Promise<string> {
  const signup = await api.signup(TENANT, email, ATTACKER_PASSWORD);
  expect(signup.status, await signup.clone().text()).toBe(201);
  return ((await signup.json()) as { user: { id: string } }).user.id;
}

/** What the attack must leave behind: no identity, no session but the attacker's, a warning and a count. */
async function expectAttackFailed(back: URL, email: string, attackerId: string, provider: string) {
  expect(back.searchParams.get("error")).toBe("access_denied");
  expect(back.searchParams.get("error_description")).toMatch(REFUSED);
  expect(back.searchParams.get("code")).toBeNull();
  expect(await pendingCodes()).toBe(0);
  expect(await identitiesOf(attackerId)).toEqual([]);
  // The attacker's password still opens the attacker's account, and it holds only the attacker's sessions.
  const tokens = await passwordLogin(email, ATTACKER_PASSWORD);
  expect(decode(tokens.access_token).claims.sub).toBe(attackerId);
  // (its sign-up and this login; no session of the victim's login).
  expect(new Set((await sessionsOf(tokens.access_token)).map((s) => s.auth_method))).toEqual(new Set(["password"]));
  expect(logs.lines).toContainEqual({
    level: "warn",
    event: "federated_link_refused",
    fields: expect.objectContaining({ tenant_id: expect.any(String), provider, user_id: attackerId }),
  });
  expect(recorded.counts).toContainEqual({
    name: "federated_link_refused_total",
    labels: { provider_type: provider.split(":")[0] },
  });
}

describe("pre-account takeover through SSO linking", () => {
  it("refuses to join an OIDC login (email verified upstream) to an unverified password account", async () => {
    const attackerId = await attackerSignsUp("alice@op.example");
    // The victim signs in at the provider, which asserts Alice@OP.example verified.
    const back = await oidcLogin("alice");
    await expectAttackFailed(back, "alice@op.example", attackerId, "oauth:op");
  });

  it("refuses to join a SAML login to an unverified password account", async () => {
    const attackerId = await attackerSignsUp("victim@corp.example");
    const back = await samlLogin("victim@corp.example");
    await expectAttackFailed(back, "victim@corp.example", attackerId, "saml:acme");
  });
});

/** A password account whose address this service verified (no API for it yet: set in the database). */
async function verifiedAccountOf(email: string): Promise<string> {
  const signup = await api.signup(TENANT, email, GOOD_PASSWORD);
  expect(signup.status).toBe(201);
  const { id } = ((await signup.json()) as { user: { id: string } }).user;
  await sql.query("UPDATE users SET email_verified = true WHERE id = $1", [id]);
  return id;
}

describe("linking that stays allowed", () => {
  it("joins an OIDC login to an account verified here when the provider asserts the email verified", async () => {
    const id = await verifiedAccountOf("bob@op.example");
    const first = await exchange((await oidcLogin("bob")).searchParams.get("code"));
    expect(decode(first.access_token).claims.sub).toBe(id);
    expect(await identitiesOf(id)).toEqual([{ provider: "oauth:op" }]);
    // The linked identity signs in again as before; the password keeps working for its owner.
    const again = await exchange((await oidcLogin("bob")).searchParams.get("code"));
    expect(decode(again.access_token).claims.sub).toBe(id);
    expect(decode((await passwordLogin("bob@op.example", GOOD_PASSWORD)).access_token).claims.sub).toBe(id);
  });

  it("joins a SAML login to an account verified here", async () => {
    const id = await verifiedAccountOf("owner@corp.example");
    const tokens = await exchange((await samlLogin("owner@corp.example")).searchParams.get("code"));
    expect(decode(tokens.access_token).claims.sub).toBe(id);
    expect(await identitiesOf(id)).toEqual([{ provider: "saml:acme" }]);
  });

  it("creates a new account with email_verified as the provider asserts it (here: not verified)", async () => {
    const tokens = await exchange((await oidcLogin("carol")).searchParams.get("code"));
    const me = (await (await api.me(TENANT, tokens.access_token)).json()) as Record<string, unknown>;
    expect(me).toMatchObject({ email: "carol@op.example", email_verified: false });
  });
});

describe("federated logins and the account's state", () => {
  it("a disabled account cannot sign in through its linked identity, nor redeem a code issued before", async () => {
    const first = await samlLogin("dora@corp.example");
    const pending = first.searchParams.get("code");
    const tokens = await exchange((await samlLogin("dora@corp.example")).searchParams.get("code"));
    const userId = String(decode(tokens.access_token).claims.sub);
    const disabled = await t.app.request(`/t/${TENANT}/v1/admin/users/${userId}`, {
      method: "PATCH",
      headers: ADMIN,
      body: JSON.stringify({ disabled: true }),
    });
    expect(disabled.status).toBe(200);
    const again = await samlLogin("dora@corp.example");
    expect(again.searchParams.get("error")).toBe("access_denied");
    expect(again.searchParams.get("error_description")).toBe("This account is disabled.");
    const redeem = await t.app.request(`/t/${TENANT}/v1/token/exchange`, {
      method: "POST",
      headers: JSON_HEADERS,
      body: JSON.stringify({ code: pending }),
    });
    expect(redeem.status).toBe(400);
    expect(((await redeem.json()) as { code: string }).code).toBe("invalid_grant");
  });

  it("makes a new account for a deleted user's upstream identity, which signs in again", async () => {
    const first = await exchange((await samlLogin("erin@corp.example")).searchParams.get("code"));
    const deletedId = String(decode(first.access_token).claims.sub);
    const deleted = await t.app.request(`/t/${TENANT}/v1/admin/users/${deletedId}`, {
      method: "DELETE",
      headers: ADMIN,
    });
    expect(deleted.status).toBe(204);
    const again = await samlLogin("erin@corp.example");
    expect(again.searchParams.get("error"), again.searchParams.get("error_description") ?? "").toBeNull();
    const tokens = await exchange(again.searchParams.get("code"));
    expect(String(decode(tokens.access_token).claims.sub)).not.toBe(deletedId);
  });

  it("refuses an upstream's full-width spelling of an address: it would find the plain mailbox's account, mail goes to it as typed", async () => {
    const id = await verifiedAccountOf("frank@corp.example");
    for (const nameId of ["ｆｒａｎｋ@corp.example", "ｇｒａｃｅ@corp.example"]) {
      const back = await samlLogin(nameId);
      expect(back.searchParams.get("error")).toBe("access_denied");
      expect(back.searchParams.get("error_description")).toBe("The provider's email address is not usable.");
    }
    expect(await identitiesOf(id)).toEqual([]);
    expect((await api.signup(TENANT, "grace@corp.example", GOOD_PASSWORD)).status).toBe(201);
  });

  it("takes an upstream's display name as one line of at most 200 characters", async () => {
    const name = `Henry\u202e\r\nX-Evil: 1\u0085\u2028${"é".repeat(300)}`;
    const tokens = await exchange(
      (await samlLogin("henry@corp.example", { email: "henry@corp.example", name })).searchParams.get("code"),
    );
    const me = (await (await api.me(TENANT, tokens.access_token)).json()) as { name: string };
    expect(me.name).toBe(`Henry\u202e X-Evil: 1 ${"é".repeat(200 - "Henry\u202e X-Evil: 1 ".length)}`);
  });

  it("refuses an upstream subject that storage cannot index, at the client instead of with a 500", async () => {
    // An opaque NameID of 3,000 characters, with a usable email attribute.
    const back = await samlLogin("x".repeat(3000), { email: "erin@corp.example" });
    expect(back.searchParams.get("error")).toBe("access_denied");
    expect(back.searchParams.get("error_description")).toBe("The provider's account identifier is not usable.");
  });
});

describe("pre-account takeover through a provider that does not verify addresses", () => {
  /** The owner of the address proves it: a reset link (minted as the forgot mail would be) and a new password. */
  async function ownerResets(email: string, userId: string): Promise<void> {
    const { rows } = await sql.query("SELECT email_index FROM users WHERE id = $1", [userId]);
    const tenant = await t.deps.db.tenants.findBySlug(TENANT);
    const token = await new AccountTokens(t.deps).issue({
      tenantId: tenant?.id ?? "",
      userId,
      purpose: "password_reset",
      emailIndex: rows[0].email_index,
    });
    const reset = await t.app.request(`/t/${TENANT}/v1/password/reset`, {
      method: "POST",
      headers: JSON_HEADERS,
      body: JSON.stringify({ token, password: GOOD_PASSWORD }),
    });
    expect(reset.status, await reset.clone().text()).toBe(204);
    expect(decode((await passwordLogin(email, GOOD_PASSWORD)).access_token).claims.sub).toBe(userId);
  }

  it("unlinks the identity that claimed the address unverified once the owner resets the password, with its API keys", async () => {
    // The attacker's upstream account asserts the victim's address, unverified (carol's at the test provider;
    // an earlier test signed in with it, so this returns to the account that login created).
    const attacker = await exchange((await oidcLogin("carol")).searchParams.get("code"));
    const userId = String(decode(attacker.access_token).claims.sub);
    const key = await t.app.request(`/t/${TENANT}/v1/api-keys`, {
      method: "POST",
      headers: { Authorization: `Bearer ${attacker.access_token}`, ...JSON_HEADERS },
      body: JSON.stringify({ name: "persist", scopes: [] }),
    });
    expect(key.status).toBe(201);
    // The owner of carol@op.example cannot sign up (the address is taken), so resets the password.
    expect((await api.signup(TENANT, "carol@op.example", GOOD_PASSWORD)).status).toBe(409);
    await ownerResets("carol@op.example", userId);

    expect(await identitiesOf(userId)).toEqual([{ provider: "oauth:op" }]);
    const live = await sql.query("SELECT 1 FROM user_identities WHERE user_id = $1 AND deleted_at IS NULL", [userId]);
    expect(live.rowCount).toBe(0);
    // The attacker's next login through the provider is refused: the account is verified here, the claim is not.
    const again = await oidcLogin("carol");
    expect(again.searchParams.get("error")).toBe("access_denied");
    expect(again.searchParams.get("code")).toBeNull();
    const { key: secret } = (await key.json()) as { key: string };
    const keyUse = await t.app.request(`/t/${TENANT}/v1/api-keys/verify`, {
      method: "POST",
      headers: ADMIN,
      body: JSON.stringify({ key: secret }),
    });
    expect(await keyUse.json()).toEqual({ valid: false });
  });

  it("keeps an identity whose provider verified the address through a reset", async () => {
    const tokens = await exchange((await samlLogin("frank@corp.example")).searchParams.get("code"));
    const userId = String(decode(tokens.access_token).claims.sub);
    await ownerResets("frank@corp.example", userId);
    const again = await exchange((await samlLogin("frank@corp.example")).searchParams.get("code"));
    expect(decode(again.access_token).claims.sub).toBe(userId);
  });
});
