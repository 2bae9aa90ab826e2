/**
 * Federated login end to end against a real OpenID Connect provider
 * (oidc-provider, certified) on loopback: authorize -> the provider's login
 * form -> callback -> one-time code -> exchange -> /v1/me, on the Node app
 * with real Postgres and Redis. The provider's answers are its own: `iss` in
 * the authorization response, signed ID tokens, PKCE enforced, UserInfo.
 */
import { createHash, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNodeEgressFetch } from "../../src/adapters/net/node-egress-fetch.js";
import { localEgress } from "../../src/core/net/egress.js";
import { appClient, decode, JSON_HEADERS, type TokenBody } from "../support/accounts.js";
import { startTestApp, TEST_ADMIN_KEY, TEST_PUBLIC_URL, type TestApp } from "../support/app.js";
import { OIDC_ACCOUNTS, type OidcProvider, startOidcProvider } from "../support/oidc-provider.js";
import { expectProblem, readAnswer } from "../support/problem.js";

const APP = "https://app.example.com/callback";
const TENANT = "opfed";
/** The callback the tenant registers at the provider, per provider name. */
const callbackOf = (name: string) => `${TEST_PUBLIC_URL}/t/${TENANT}/v1/oauth/${name}/callback`;

let t: TestApp;
let api: ReturnType<typeof appClient>;
/** Claims from UserInfo (the provider's default for the code flow). */
let op: OidcProvider;
/** Claims in the ID token as well. */
let opIdToken: OidcProvider;

const configure = (name: string, issuer: string, clientId: string) =>
  t.app.request(`/t/${TENANT}/v1/admin/oauth-providers/${name}`, {
    method: "PUT",
    headers: { Authorization: `Bearer ${TEST_ADMIN_KEY}`, ...JSON_HEADERS },
    body: JSON.stringify({ client_id: clientId, client_secret: `${clientId}-secret-0123456789`, issuer }),
  });

beforeAll(async () => {
  // The Node entry's upstream fetch (undici, with the connect-time address check), as in production.
  t = await startTestApp({ upstreamFetch: createNodeEgressFetch(localEgress) });
  api = appClient(t);
  [op, opIdToken] = await Promise.all([
    startOidcProvider({
      clientId: "authority",
      clientSecret: "authority-secret-0123456789",
      redirectUris: [callbackOf("op")],
    }),
    startOidcProvider({
      clientId: "authority-idt",
      clientSecret: "authority-idt-secret-0123456789",
      redirectUris: [callbackOf("op-idt")],
      claimsInIdToken: true,
    }),
  ]);
  await api.createTenant(TENANT);
  expect((await api.redirectUris(TENANT, [APP])).status).toBe(200);
  for (const [name, issuer, clientId] of [
    ["op", op.issuer, "authority"],
    ["op-idt", opIdToken.issuer, "authority-idt"],
  ] as const) {
    const put = await configure(name, issuer, clientId);
    expect(put.status, await put.clone().text()).toBe(200);
  }
});

afterAll(async () => {
  await Promise.allSettled([op?.close(), opIdToken?.close()]);
  await t?.close();
});

const pkce = () => {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
};

/**
 * authorize -> provider login as `account` -> our callback; resolves where
 * the callback sends the browser (the client app's redirect_uri).
 */
async function login(account: string, params: Record<string, string> = {}, name = "op"): Promise<URL> {
  const provider = name === "op" ? op : opIdToken;
  const query = new URLSearchParams({ redirect_uri: APP, state: `app-${account}`, ...params });
  const start = await t.app.request(`/t/${TENANT}/v1/oauth/${name}/authorize?${query}`);
  expect(start.status, await start.clone().text()).toBe(302);
  const authorization = new URL(start.headers.get("location") ?? "");
  expect(authorization.origin).toBe(provider.issuer);
  expect(authorization.searchParams.get("code_challenge_method")).toBe("S256");

  const callback = await provider.login(authorization.href, account);
  expect(callback.origin + callback.pathname).toBe(callbackOf(name));
  expect(callback.searchParams.get("iss")).toBe(provider.issuer);
  expect(callback.searchParams.get("code"), callback.href).toBeTruthy();

  const back = await t.app.request(callback.pathname + callback.search);
  expect(back.status, await back.clone().text()).toBe(302);
  const location = new URL(back.headers.get("location") ?? "");
  expect(location.origin + location.pathname).toBe(APP);
  expect(location.searchParams.get("state")).toBe(`app-${account}`);
  expect(location.searchParams.get("error_description"), provider.seen.errors.join("\n")).toBeNull();
  return location;
}

const exchange = (body: Record<string, unknown>) =>
  t.app.request(`/t/${TENANT}/v1/token/exchange`, {
    method: "POST",
    headers: JSON_HEADERS,
    body: JSON.stringify(body),
  });

/** A whole login with the client app's own PKCE; resolves the tokens. */
async function signIn(account: string, name = "op"): Promise<TokenBody> {
  const { verifier, challenge } = pkce();
  const back = await login(account, { code_challenge: challenge, code_challenge_method: "S256" }, name);
  const answer = await exchange({ code: back.searchParams.get("code"), code_verifier: verifier });
  expect(answer.status, await answer.clone().text()).toBe(200);
  return (await answer.json()) as TokenBody;
}

const me = async (token: string) => (await (await api.me(TENANT, token)).json()) as Record<string, unknown>;

describe("federated login at a real OpenID Connect provider", () => {
  it("goes authorize -> provider login -> callback -> one-time code -> exchange -> /v1/me", async () => {
    const userinfoBefore = op.seen.routes.userinfo ?? 0;
    const back = await login("alice");
    const code = back.searchParams.get("code") ?? "";
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const answer = await exchange({ code });
    expect(answer.status, await answer.clone().text()).toBe(200);
    const tokens = (await answer.json()) as TokenBody;
    expect(tokens.token_type).toBe("Bearer");
    expect(decode(tokens.access_token).claims).toMatchObject({ amr: ["oauth"], sid: tokens.session_id });
    // The ID token of the code flow has only `sub` here: email and name came from UserInfo.
    expect(op.seen.routes.userinfo).toBe(userinfoBefore + 1);
    expect(await me(tokens.access_token)).toMatchObject({
      id: decode(tokens.access_token).claims.sub,
      email: "Alice@op.example",
      email_verified: true,
      name: "Alice Example",
    });
    const sessions = (await (await api.sessions(TENANT, tokens.access_token)).json()) as { sessions: unknown[] };
    expect(sessions.sessions).toMatchObject([{ auth_method: "oauth:op", current: true }]);
    // The one-time code is spent.
    expectProblem(await readAnswer(await exchange({ code })), 400, "invalid_grant");
  });

  it("gives the same upstream subject the same user, and another subject another user", async () => {
    const first = await signIn("bob");
    const second = await signIn("bob");
    const other = await signIn("alice");
    const bob = decode(first.access_token).claims.sub;
    expect(bob).toBeTruthy();
    expect(decode(second.access_token).claims.sub).toBe(bob);
    expect(second.session_id).not.toBe(first.session_id);
    expect(decode(other.access_token).claims.sub).not.toBe(bob);
    expect(await me(second.access_token)).toMatchObject({ id: bob, email: OIDC_ACCOUNTS.bob?.email });
    expect(await me(other.access_token)).toMatchObject({ email: "Alice@op.example" });
  });

  it("carries the client app's PKCE from authorize to the exchange", async () => {
    const { verifier, challenge } = pkce();
    const withChallenge = { code_challenge: challenge, code_challenge_method: "S256" };

    const missing = (await login("bob", withChallenge)).searchParams.get("code");
    expectProblem(await readAnswer(await exchange({ code: missing })), 400, "invalid_grant");
    const wrong = (await login("bob", withChallenge)).searchParams.get("code");
    expectProblem(
      await readAnswer(await exchange({ code: wrong, code_verifier: pkce().verifier })),
      400,
      "invalid_grant",
    );
    // A code is spent by its first presentation, even a wrong one.
    expectProblem(await readAnswer(await exchange({ code: wrong, code_verifier: verifier })), 400, "invalid_grant");

    const right = (await login("bob", withChallenge)).searchParams.get("code");
    const answer = await exchange({ code: right, code_verifier: verifier });
    expect(answer.status, await answer.clone().text()).toBe(200);
    const tokens = (await answer.json()) as TokenBody;
    expect(await me(tokens.access_token)).toMatchObject({ email: "bob@op.example" });
  });

  it("takes email and name from the ID token when the provider puts them there", async () => {
    const tokens = await signIn("carol", "op-idt");
    expect(opIdToken.seen.routes.token).toBe(1);
    expect(opIdToken.seen.routes.userinfo).toBeUndefined();
    expect(await me(tokens.access_token)).toMatchObject({
      email: "carol@op.example",
      email_verified: false,
      name: "Carol Example",
    });
    // Another provider's subject "carol" is another identity, and a new login of it the same user.
    const again = await signIn("carol", "op-idt");
    expect(decode(again.access_token).claims.sub).toBe(decode(tokens.access_token).claims.sub);
  });

  it("sends the browser back with an error when the user cancels at the provider", async () => {
    const query = new URLSearchParams({ redirect_uri: APP, state: "cancel" });
    const start = await t.app.request(`/t/${TENANT}/v1/oauth/op/authorize?${query}`);
    const authorization = new URL(start.headers.get("location") ?? "");
    // The provider's answer to an aborted interaction: access_denied at our callback.
    const callback = await op.login(authorization.href, null);
    expect(callback.searchParams.get("error")).toBe("access_denied");
    const back = new URL((await t.app.request(callback.pathname + callback.search)).headers.get("location") ?? "");
    expect(back.origin + back.pathname).toBe(APP);
    expect(back.searchParams.get("error")).toBe("access_denied");
    expect(back.searchParams.get("state")).toBe("cancel");
    expect(back.searchParams.get("code")).toBeNull();
  });
});
