/**
 * Relying-party libraries that know nothing of this project sign a user in
 * through the real authorization endpoint and hosted login page, as an
 * outside black-box suite would: over HTTP, with the server's PUBLIC_URL as
 * its own address, and no test seam. The browser is HostedAgent (it knows
 * only API.md's sentence on the login form). Every runtime runs exactly this
 * suite.
 */
import * as oauth from "oauth4webapi";
import * as openid from "openid-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GOOD_PASSWORD } from "../support/accounts.js";
import { type Credentials, HostedAgent } from "../support/hosted-agent.js";
import { PROCESS_TEST_MS } from "../support/runtime-node.js";

export interface ProviderUnderTest {
  /** Where the server answers over HTTP, and its PUBLIC_URL: issuers are `${base}/t/{tenant}`. */
  base: string;
  adminKey: string;
  close(): Promise<void>;
}

const TENANT = "rp";
/** The applications' addresses: the agent stops there and never fetches them. */
const APP = "https://app.rp.example";

interface RegisteredClient {
  client_id: string;
  client_secret?: string;
}

export function relyingPartySuite(runtime: string, start: () => Promise<ProviderUnderTest>): void {
  describe(`relying-party libraries through the hosted login on ${runtime}`, () => {
    let provider: ProviderUnderTest;
    let issuer: URL;

    async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
      const response = await fetch(`${provider.base}${path}`, {
        method: "POST",
        headers: { "Content-Type": "application/json", ...headers },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(15_000),
      });
      const text = await response.text();
      expect(response.status, `${path}: ${text}`).toBe(201);
      return JSON.parse(text);
    }
    const asAdmin = () => ({ Authorization: `Bearer ${provider.adminKey}` });
    const registerClient = (body: Record<string, unknown>): Promise<RegisteredClient> =>
      post(`/t/${TENANT}/v1/admin/clients`, body, asAdmin());

    /** A user signed up through the JSON API: the hosted flow then signs them in. */
    async function newUser(): Promise<Credentials & { id: string }> {
      const email = `reader-${crypto.randomUUID()}@rp.example`;
      const { user } = await post(`/t/${TENANT}/v1/signup`, { email, password: GOOD_PASSWORD });
      return { email, password: GOOD_PASSWORD, id: user.id as string };
    }

    beforeAll(async () => {
      provider = await start();
      issuer = new URL(`${provider.base}/t/${TENANT}`);
      await post("/v1/admin/tenants", { slug: TENANT, name: "Reading Room" }, asAdmin());
    }, PROCESS_TEST_MS);

    afterAll(async () => {
      await provider?.close();
    }, 30_000);

    describe("openid-client 6", () => {
      const callbackUri = `${APP}/openid-client/cb`;
      const byeUri = `${APP}/openid-client/bye`;
      let rp: RegisteredClient;
      let config: openid.Configuration;

      beforeAll(async () => {
        rp = await registerClient({
          name: "Bookshelf",
          type: "confidential",
          redirect_uris: [callbackUri],
          post_logout_redirect_uris: [byeUri],
        });
        config = await openid.discovery(
          issuer,
          rp.client_id,
          undefined,
          openid.ClientSecretBasic(rp.client_secret as string),
          // Plain HTTP on loopback; ID token signatures checked against the JWKS too.
          { execute: [openid.allowInsecureRequests, openid.enableNonRepudiationChecks] },
        );
      }, PROCESS_TEST_MS);

      /** An authorization request with PKCE S256, state and nonce, and what the app keeps to redeem its answer. */
      async function authorizationRequest(extra: Record<string, string> = {}) {
        const verifier = openid.randomPKCECodeVerifier();
        const state = openid.randomState();
        const nonce = openid.randomNonce();
        const url = openid.buildAuthorizationUrl(config, {
          redirect_uri: callbackUri,
          scope: "openid email profile",
          code_challenge: await openid.calculatePKCECodeChallenge(verifier),
          code_challenge_method: "S256",
          state,
          nonce,
          ...extra,
        });
        return { url, checks: { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce } };
      }

      /** A new user signs in through the login page and allows the (third-party) client on the consent page. */
      async function signIn(agent: HostedAgent) {
        const user = await newUser();
        const { url, checks } = await authorizationRequest();
        const { callback, pages } = await agent.authorize(url, callbackUri, user);
        expect(pages.map((page) => [page.kind, page.url.pathname])).toEqual([
          ["login", `/t/${TENANT}/login`],
          ["form", `/t/${TENANT}/consent`],
        ]);
        const tokens = await openid.authorizationCodeGrant(config, callback, { ...checks, idTokenExpected: true });
        return { user, tokens, nonce: checks.expectedNonce };
      }

      it(
        "signs in through the login page, reads UserInfo, refreshes, and revokes the refresh token",
        async () => {
          const { user, tokens, nonce } = await signIn(new HostedAgent());
          const claims = tokens.claims();
          expect(claims).toMatchObject({ iss: issuer.href, sub: user.id, aud: rp.client_id, nonce, amr: ["pwd"] });
          expect(claims?.sid).toEqual(expect.any(String));

          expect(await openid.fetchUserInfo(config, tokens.access_token, user.id)).toMatchObject({
            sub: user.id,
            email: user.email,
          });

          const refreshed = await openid.refreshTokenGrant(config, tokens.refresh_token as string);
          expect(refreshed.access_token).not.toBe(tokens.access_token);
          expect(refreshed.claims()).toMatchObject({ sub: user.id, sid: claims?.sid, auth_time: claims?.auth_time });

          await openid.tokenRevocation(config, refreshed.refresh_token as string);
          await expect(openid.refreshTokenGrant(config, refreshed.refresh_token as string)).rejects.toMatchObject({
            error: "invalid_grant",
          });
        },
        PROCESS_TEST_MS,
      );

      it(
        "logs out from the relying party: back at post_logout_redirect_uri with state, the provider session gone",
        async () => {
          const agent = new HostedAgent();
          const { tokens } = await signIn(agent);
          // While the provider session lives, prompt=none answers with a code.
          const silent = await authorizationRequest({ prompt: "none" });
          const { callback: before } = await agent.authorize(silent.url, callbackUri);
          expect(before.searchParams.get("code")).toEqual(expect.any(String));

          const endSession = openid.buildEndSessionUrl(config, {
            id_token_hint: tokens.id_token as string,
            post_logout_redirect_uri: byeUri,
            state: "bye-state",
          });
          const back = await agent.open(endSession, byeUri);
          if (!("returned" in back)) throw new Error(`logout stopped on a page: ${back.page.status}`);
          expect(back.returned.searchParams.get("state")).toBe("bye-state");

          const again = await authorizationRequest({ prompt: "none" });
          const { callback: after } = await agent.authorize(again.url, callbackUri);
          await expect(openid.authorizationCodeGrant(config, after, again.checks)).rejects.toMatchObject({
            error: "login_required",
          });
          // The client session issued from the provider session ended with it.
          await expect(openid.refreshTokenGrant(config, tokens.refresh_token as string)).rejects.toMatchObject({
            error: "invalid_grant",
          });
        },
        PROCESS_TEST_MS,
      );

      it(
        "issues a confidential client its own token (client_credentials)",
        async () => {
          const machine = await registerClient({
            name: "Nightly reports",
            type: "confidential",
            grant_types: ["client_credentials"],
            redirect_uris: [],
            scopes: ["reports:read"],
          });
          const machineConfig = await openid.discovery(
            issuer,
            machine.client_id,
            undefined,
            openid.ClientSecretPost(machine.client_secret as string),
            { execute: [openid.allowInsecureRequests] },
          );
          const grant = await openid.clientCredentialsGrant(machineConfig, { scope: "reports:read" });
          expect(grant).toMatchObject({ token_type: "bearer", scope: "reports:read" });
          expect(grant.refresh_token).toBeUndefined();
          expect(grant.id_token).toBeUndefined();
          expect(await openid.tokenIntrospection(machineConfig, grant.access_token)).toMatchObject({
            active: true,
            client_id: machine.client_id,
            sub: machine.client_id,
          });
        },
        PROCESS_TEST_MS,
      );
    });

    describe("oauth4webapi", () => {
      const insecure = { [oauth.allowInsecureRequests]: true };
      let as: oauth.AuthorizationServer;

      beforeAll(async () => {
        as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure));
      });

      /** A public client's code flow (PKCE, no secret); the ID token's signature checked against the JWKS. */
      async function codeFlow(agent: HostedAgent, client: oauth.Client, redirectUri: string, user?: Credentials) {
        const verifier = oauth.generateRandomCodeVerifier();
        const state = oauth.generateRandomState();
        const nonce = oauth.generateRandomNonce();
        const url = new URL(as.authorization_endpoint as string);
        url.search = new URLSearchParams({
          response_type: "code",
          client_id: client.client_id,
          redirect_uri: redirectUri,
          scope: "openid email",
          state,
          nonce,
          code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
          code_challenge_method: "S256",
        }).toString();
        const { callback, pages } = await agent.authorize(url, redirectUri, user);
        const params = oauth.validateAuthResponse(as, client, callback, state);
        const response = await oauth.authorizationCodeGrantRequest(
          as,
          client,
          oauth.None(),
          params,
          redirectUri,
          verifier,
          insecure,
        );
        const tokens = await oauth.processAuthorizationCodeResponse(as, client, response, {
          expectedNonce: nonce,
          requireIdToken: true,
        });
        await oauth.validateApplicationLevelSignature(as, response, insecure);
        const shown = pages.map((page) => [page.kind, page.url.pathname]);
        return { shown, tokens, claims: oauth.getValidatedIdTokenClaims(tokens) as oauth.IDToken };
      }

      async function publicClient(name: string, firstParty: boolean) {
        const redirectUri = `${APP}/${name.toLowerCase()}/cb`;
        const { client_id, client_secret } = await registerClient({
          name,
          type: "public",
          redirect_uris: [redirectUri],
          first_party: firstParty,
        });
        expect(client_secret).toBeUndefined();
        return { client: { client_id, token_endpoint_auth_method: "none" } as oauth.Client, redirectUri };
      }

      it(
        "signs a public client in with PKCE, then other clients by SSO with one sid",
        async () => {
          const user = await newUser();
          const agent = new HostedAgent();
          const portal = await publicClient("Portal", true);
          const gallery = await publicClient("Gallery", false);
          const wiki = await publicClient("Wiki", true);

          const first = await codeFlow(agent, portal.client, portal.redirectUri, user);
          expect(first.shown).toEqual([["login", `/t/${TENANT}/login`]]);
          expect(first.claims).toMatchObject({ iss: issuer.href, sub: user.id, aud: portal.client.client_id });
          const info = await oauth.processUserInfoResponse(
            as,
            portal.client,
            user.id,
            await oauth.userInfoRequest(as, portal.client, first.tokens.access_token, insecure),
          );
          expect(info).toMatchObject({ sub: user.id, email: user.email });
          const refreshed = await oauth.processRefreshTokenResponse(
            as,
            portal.client,
            await oauth.refreshTokenGrantRequest(
              as,
              portal.client,
              oauth.None(),
              first.tokens.refresh_token as string,
              insecure,
            ),
          );
          expect(refreshed.access_token).not.toBe(first.tokens.access_token);

          // A third-party client: no login page, its consent page once, then nothing at all.
          const consented = await codeFlow(agent, gallery.client, gallery.redirectUri);
          expect(consented.shown).toEqual([["form", `/t/${TENANT}/consent`]]);
          const remembered = await codeFlow(agent, gallery.client, gallery.redirectUri);
          expect(remembered.shown).toEqual([]);
          // A first-party client: straight back with a code.
          const sso = await codeFlow(agent, wiki.client, wiki.redirectUri);
          expect(sso.shown).toEqual([]);

          const sid = first.claims.sid;
          expect(sid).toEqual(expect.any(String));
          for (const { claims } of [consented, remembered, sso]) {
            expect(claims).toMatchObject({ sub: user.id, sid, auth_time: first.claims.auth_time });
          }
          expect([consented.claims.aud, sso.claims.aud]).toEqual([gallery.client.client_id, wiki.client.client_id]);
        },
        PROCESS_TEST_MS,
      );
    });
  });
}
