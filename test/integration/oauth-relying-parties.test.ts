/**
 * The token endpoint, UserInfo and discovery driven by two independent
 * relying-party libraries, oauth4webapi and openid-client 6, on real
 * Postgres and Redis. The authorization endpoint's part (a code for a
 * logged-in user) is played by `services.authorizationCodes.issue`.
 */
import { createHash } from "node:crypto";
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from "jose";
import * as oauth from "oauth4webapi";
import * as openid from "openid-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appClient, JSON_HEADERS } from "../support/accounts.js";
import { startTestApp, TEST_PUBLIC_URL, type TestApp } from "../support/app.js";
import { fetchThrough, oauthFixtures, REDIRECT_URI, type RegisteredClient } from "../support/oidc.js";

let t: TestApp;
let api: ReturnType<typeof appClient>;
const issuerOf = (slug: string) => `${TEST_PUBLIC_URL}/t/${slug}`;

/** at_hash computed apart from the service: the left half of SHA-256 (SHA-512 for EdDSA) of the token. */
const atHash = (token: string, alg: string) => {
  const digest = createHash(alg === "EdDSA" ? "sha512" : "sha256")
    .update(token)
    .digest();
  return digest.subarray(0, digest.length / 2).toString("base64url");
};

async function verifyWithJwks(slug: string, token: string) {
  const jwks = await api.jwks(slug);
  return jwtVerify(token, createLocalJWKSet(jwks as never), { issuer: issuerOf(slug) });
}

beforeAll(async () => {
  t = await startTestApp();
  api = appClient(t);
  await api.createTenant("rp");
  await api.createTenant("rp-ec", { signing_alg: "ES256" });
  await api.createTenant("rp-ed", { signing_alg: "EdDSA" });
});
afterAll(async () => {
  await t?.close();
});

describe("oauth4webapi as the relying party", () => {
  const fx = () => oauthFixtures(t, "rp");
  let as: oauth.AuthorizationServer;
  let rp: RegisteredClient;
  const options = () => ({ [oauth.customFetch]: fetchThrough(t) });

  beforeAll(async () => {
    const issuer = new URL(issuerOf("rp"));
    as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, options()));
    rp = await fx().register({ type: "confidential", scopes: ["openid", "email", "profile"], access_token_ttl: 300 });
  });

  it("exchanges a code with PKCE for tokens and an ID token it validates (iss, aud, nonce, exp), then refreshes", async () => {
    const user = await fx().login("Ann Example");
    const { code, verifier } = await fx().code({ clientId: rp.client_id, nonce: "n-0S6_WzA2Mj", ...user });
    const client: oauth.Client = { client_id: rp.client_id };
    const auth = oauth.ClientSecretBasic(rp.client_secret as string);
    const callback = new URL(`${REDIRECT_URI}?code=${code}&state=xyz&iss=${encodeURIComponent(issuerOf("rp"))}`);
    const params = oauth.validateAuthResponse(as, client, callback, "xyz");
    const response = await oauth.authorizationCodeGrantRequest(
      as,
      client,
      auth,
      params,
      REDIRECT_URI,
      verifier,
      options(),
    );
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(response.headers.get("pragma")).toBe("no-cache");
    const result = await oauth.processAuthorizationCodeResponse(as, client, response, {
      expectedNonce: "n-0S6_WzA2Mj",
      requireIdToken: true,
    });
    expect(result).toMatchObject({ token_type: "bearer", expires_in: 300, scope: "openid email profile" });
    expect(result.refresh_token).toMatch(/^rt1\./);

    const claims = oauth.getValidatedIdTokenClaims(result) as oauth.IDToken;
    expect(claims).toMatchObject({
      iss: issuerOf("rp"),
      sub: user.userId,
      aud: rp.client_id,
      nonce: "n-0S6_WzA2Mj",
      amr: ["pwd"],
      sid: user.providerSessionId,
      at_hash: atHash(result.access_token, "RS256"),
    });
    expect(claims.exp - claims.iat).toBe(300);
    expect(decodeProtectedHeader(result.id_token as string)).toMatchObject({ typ: "JWT", alg: "RS256" });
    await verifyWithJwks("rp", result.id_token as string);

    // The access token belongs to a session of this client, a child of the provider session.
    const access = decodeJwt(result.access_token);
    expect(access).toMatchObject({ sub: user.userId, client_id: rp.client_id, scope: "openid email profile" });
    expect(access.sid).not.toBe(user.providerSessionId);

    const refreshed = await oauth.processRefreshTokenResponse(
      as,
      client,
      await oauth.refreshTokenGrantRequest(as, client, auth, result.refresh_token as string, options()),
    );
    expect(refreshed.refresh_token).not.toBe(result.refresh_token);
    const again = oauth.getValidatedIdTokenClaims(refreshed) as oauth.IDToken;
    // OpenID Connect Core §12.2: the original authentication, no nonce.
    expect(again).toMatchObject({ sub: user.userId, auth_time: claims.auth_time, sid: user.providerSessionId });
    expect(again.nonce).toBeUndefined();
    expect(again.at_hash).toBe(atHash(refreshed.access_token, "RS256"));
  });

  it("reads UserInfo by the scope of the access token", async () => {
    const user = await fx().login("Bea Example");
    const client: oauth.Client = { client_id: rp.client_id };
    const auth = oauth.ClientSecretPost(rp.client_secret as string);
    const exchange = async (scope: string) => {
      const { code, verifier } = await fx().code({ clientId: rp.client_id, scope, ...user });
      const callback = new URL(`${REDIRECT_URI}?code=${code}&iss=${encodeURIComponent(issuerOf("rp"))}`);
      const params = oauth.validateAuthResponse(as, client, callback, oauth.expectNoState);
      const response = await oauth.authorizationCodeGrantRequest(
        as,
        client,
        auth,
        params,
        REDIRECT_URI,
        verifier,
        options(),
      );
      return oauth.processAuthorizationCodeResponse(as, client, response, { requireIdToken: true });
    };
    const read = async (token: string) =>
      oauth.processUserInfoResponse(as, client, user.userId, await oauth.userInfoRequest(as, client, token, options()));

    const full = await exchange("openid email profile");
    expect(await read(full.access_token)).toEqual({
      sub: user.userId,
      email: user.email,
      email_verified: false,
      name: "Bea Example",
    });
    const bare = await exchange("openid");
    expect(await read(bare.access_token)).toEqual({ sub: user.userId });
  });
});

describe("openid-client 6 as the relying party", () => {
  const fx = () => oauthFixtures(t, "rp");
  let rp: RegisteredClient;
  let config: openid.Configuration;

  beforeAll(async () => {
    rp = await fx().register({ type: "confidential" });
    config = await openid.discovery(new URL(issuerOf("rp")), rp.client_id, rp.client_secret, undefined, {
      [openid.customFetch]: fetchThrough(t),
      // Verifies ID token signatures against the JWKS too.
      execute: [openid.enableNonRepudiationChecks],
    });
  });

  const callback = (code: string, state: string) =>
    new URL(`${REDIRECT_URI}?code=${code}&state=${state}&iss=${encodeURIComponent(issuerOf("rp"))}`);

  it("completes a code exchange, a narrowed refresh, UserInfo and revocation", async () => {
    const user = await fx().login();
    const { code, verifier } = await fx().code({ clientId: rp.client_id, nonce: "abc", ...user });
    const tokens = await openid.authorizationCodeGrant(config, callback(code, "s1"), {
      pkceCodeVerifier: verifier,
      expectedNonce: "abc",
      expectedState: "s1",
      idTokenExpected: true,
    });
    expect(tokens.claims()).toMatchObject({ sub: user.userId, aud: rp.client_id, sid: user.providerSessionId });

    // RFC 6749 §6: a narrower scope for this answer; the grant stays as it was.
    const narrowed = await openid.refreshTokenGrant(config, tokens.refresh_token as string, { scope: "openid email" });
    expect(narrowed.scope).toBe("openid email");
    expect(decodeJwt(narrowed.access_token).scope).toBe("openid email");
    const info = await openid.fetchUserInfo(config, narrowed.access_token, user.userId);
    expect(info).toEqual({ sub: user.userId, email: user.email, email_verified: false });
    const wide = await openid.refreshTokenGrant(config, narrowed.refresh_token as string);
    expect(wide.scope).toBe("openid email profile");

    const introspected = await openid.tokenIntrospection(config, wide.refresh_token as string);
    expect(introspected).toMatchObject({ active: true, client_id: rp.client_id, sub: user.userId });
    await openid.tokenRevocation(config, wide.refresh_token as string);
    await expect(openid.refreshTokenGrant(config, wide.refresh_token as string)).rejects.toMatchObject({
      error: "invalid_grant",
    });
    expect(await openid.tokenIntrospection(config, wide.access_token)).toEqual({ active: false });
  });

  it("serves a public client (SPA) with PKCE and no secret", async () => {
    const spa = await fx().register({ type: "public" });
    const spaConfig = await openid.discovery(new URL(issuerOf("rp")), spa.client_id, undefined, openid.None(), {
      [openid.customFetch]: fetchThrough(t),
      execute: [openid.enableNonRepudiationChecks],
    });
    const user = await fx().login();
    const { code, verifier } = await fx().code({ clientId: spa.client_id, ...user });
    const tokens = await openid.authorizationCodeGrant(spaConfig, callback(code, "s2"), {
      pkceCodeVerifier: verifier,
      expectedState: "s2",
      idTokenExpected: true,
    });
    expect(tokens.claims()?.sub).toBe(user.userId);
    expect(tokens.refresh_token).toBeDefined();
  });

  it("issues a confidential client its own token (client_credentials) that user routes refuse", async () => {
    const machine = await fx().register({
      type: "confidential",
      grant_types: ["client_credentials"],
      redirect_uris: [],
      scopes: ["openid", "reports:read", "reports:write"],
    });
    const machineConfig = await openid.discovery(
      new URL(issuerOf("rp")),
      machine.client_id,
      machine.client_secret,
      undefined,
      {
        [openid.customFetch]: fetchThrough(t),
      },
    );
    const all = await openid.clientCredentialsGrant(machineConfig);
    // User scopes (openid) are not a client's own.
    expect(all).toMatchObject({ scope: "reports:read reports:write", token_type: "bearer" });
    expect(all.refresh_token).toBeUndefined();
    expect(all.id_token).toBeUndefined();
    const one = await openid.clientCredentialsGrant(machineConfig, { scope: "reports:read" });
    const claims = decodeJwt(one.access_token);
    expect(claims).toMatchObject({ sub: machine.client_id, client_id: machine.client_id, scope: "reports:read" });
    expect(claims.auth_time).toBeUndefined();
    await expect(openid.clientCredentialsGrant(machineConfig, { scope: "openid" })).rejects.toMatchObject({
      error: "invalid_scope",
    });

    expect(await openid.tokenIntrospection(machineConfig, one.access_token)).toMatchObject({
      active: true,
      sub: machine.client_id,
    });
    const me = await api.me("rp", one.access_token);
    expect(me.status).toBe(401);
    const userinfo = await t.app.request("/t/rp/v1/userinfo", {
      headers: { Authorization: `Bearer ${one.access_token}` },
    });
    expect(userinfo.status).toBe(401);
    expect(userinfo.headers.get("www-authenticate")).toContain('error="invalid_token"');
    await openid.tokenRevocation(machineConfig, one.access_token);
    expect(await openid.tokenIntrospection(machineConfig, one.access_token)).toEqual({ active: false });
  });
});

describe.each([
  ["rp-ec", "ES256"],
  ["rp-ed", "EdDSA"],
])("ID tokens of a %s tenant", (slug, alg) => {
  it(`are signed with ${alg}, advertised alone, with at_hash over the matching hash`, async () => {
    const discovery = (await (await t.app.request(`/t/${slug}/.well-known/openid-configuration`)).json()) as Record<
      string,
      unknown
    >;
    expect(discovery.id_token_signing_alg_values_supported).toEqual([alg]);
    const fx = oauthFixtures(t, slug);
    const rp = await fx.register({ type: "confidential" });
    const config = await openid.discovery(new URL(issuerOf(slug)), rp.client_id, rp.client_secret, undefined, {
      [openid.customFetch]: fetchThrough(t),
      execute: [openid.enableNonRepudiationChecks],
    });
    const user = await fx.login();
    const { code, verifier } = await fx.code({ clientId: rp.client_id, ...user });
    const tokens = await openid.authorizationCodeGrant(
      config,
      new URL(`${REDIRECT_URI}?code=${code}&iss=${encodeURIComponent(issuerOf(slug))}`),
      { pkceCodeVerifier: verifier, idTokenExpected: true },
    );
    expect(decodeProtectedHeader(tokens.id_token as string).alg).toBe(alg);
    expect(tokens.claims()?.at_hash).toBe(atHash(tokens.access_token, alg));
    await verifyWithJwks(slug, tokens.id_token as string);
  });
});

describe("discovery", () => {
  it("advertises exactly what the provider does", async () => {
    const response = await t.app.request("/t/rp/.well-known/openid-configuration", { headers: JSON_HEADERS });
    const issuer = issuerOf("rp");
    expect(await response.json()).toMatchObject({
      issuer,
      authorization_endpoint: `${issuer}/authorize`,
      token_endpoint: `${issuer}/oauth2/token`,
      userinfo_endpoint: `${issuer}/v1/userinfo`,
      end_session_endpoint: `${issuer}/logout`,
      grant_types_supported: ["authorization_code", "refresh_token", "client_credentials"],
      response_types_supported: ["code"],
      response_modes_supported: ["query"],
      code_challenge_methods_supported: ["S256"],
      token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post", "none"],
      introspection_endpoint_auth_methods_supported: ["bearer", "client_secret_basic", "client_secret_post"],
      revocation_endpoint_auth_methods_supported: ["bearer", "client_secret_basic", "client_secret_post", "none"],
      id_token_signing_alg_values_supported: ["RS256"],
      subject_types_supported: ["public"],
      scopes_supported: ["openid", "profile", "email"],
      authorization_response_iss_parameter_supported: true,
      request_parameter_supported: false,
      request_uri_parameter_supported: false,
    });
  });

  it("serves the same document where RFC 8414 §3.1 looks for it, which oauth4webapi's oauth2 discovery reads", async () => {
    const openid = await (await t.app.request("/t/rp/.well-known/openid-configuration")).json();
    const rfc8414 = await t.app.request("/.well-known/oauth-authorization-server/t/rp");
    expect(rfc8414.status).toBe(200);
    expect(rfc8414.headers.get("access-control-allow-origin")).toBe("*");
    expect(rfc8414.headers.get("access-control-expose-headers")).toContain("Retry-After");
    expect(await rfc8414.json()).toEqual(openid);
    // A browser's preflight, as for the OIDC document.
    const preflight = await t.app.request("/.well-known/oauth-authorization-server/t/rp", {
      method: "OPTIONS",
      headers: { Origin: "https://spa.example", "Access-Control-Request-Method": "GET" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("*");
    const issuer = new URL(issuerOf("rp"));
    const options = { algorithm: "oauth2" as const, [oauth.customFetch]: fetchThrough(t) };
    const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, options));
    expect(as.issuer).toBe(issuer.href);
    const unknown = await t.app.request("/.well-known/oauth-authorization-server/t/nowhere");
    expect(unknown.status).toBe(404);
  });
});
