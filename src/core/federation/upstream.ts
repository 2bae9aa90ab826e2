import * as oauth from "oauth4webapi";
import { type CatalogueEntry, type ExternalProfile, type FetchJson, oidcProfile } from "./catalogue.js";
import { FederatedLoginError } from "./federated-logins.js";

/** How long a provider's discovery document is reused in this process or isolate. */
const DISCOVERY_TTL_MS = 60 * 60_000;
/** No upstream call may hold a login longer than this. */
const UPSTREAM_TIMEOUT_MS = 10_000;

/** A provider as a login needs it: its entry, client credentials and issuer. */
export interface UpstreamProvider {
  name: string;
  entry: CatalogueEntry;
  clientId: string;
  clientSecret: string;
  issuer: string | null;
  scopes: string[];
}

/** What the authorize step keeps server-side for the callback. */
export interface PendingLogin {
  state: string;
  codeVerifier: string;
  nonce: string | null;
}

/** http is accepted for loopback issuers only (local providers, tests). */
export function isLoopbackHttp(url: URL): boolean {
  return url.protocol === "http:" && ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname);
}

/**
 * The OAuth 2.0 / OpenID Connect client side of federated login, on
 * oauth4webapi: discovery (cached), the authorization URL with PKCE S256,
 * state and nonce, and the callback: code exchange, ID token validation
 * (signature against the provider's JWKS, iss, aud, exp, nonce) and profile.
 */
export class UpstreamClient {
  private readonly discovered = new Map<string, { server: oauth.AuthorizationServer; until: number }>();

  constructor(
    private readonly fetchImpl: typeof fetch,
    private readonly now: () => number,
  ) {}

  private options(issuer: string) {
    return {
      [oauth.customFetch]: this.fetchImpl,
      [oauth.allowInsecureRequests]: isLoopbackHttp(new URL(issuer)),
      signal: () => AbortSignal.timeout(UPSTREAM_TIMEOUT_MS),
    };
  }

  async server(provider: UpstreamProvider): Promise<oauth.AuthorizationServer> {
    const { entry } = provider;
    if (entry.kind === "oauth2") {
      return {
        issuer: entry.issuer,
        authorization_endpoint: entry.authorizationEndpoint,
        token_endpoint: entry.tokenEndpoint,
      };
    }
    const issuer = provider.issuer ?? entry.issuer;
    if (!issuer)
      throw new FederatedLoginError("server_error", `The provider "${provider.name}" has no issuer configured.`);
    const hit = this.discovered.get(issuer);
    if (hit && hit.until > this.now()) return hit.server;
    try {
      const url = new URL(issuer);
      const response = await oauth.discoveryRequest(url, { ...this.options(issuer), algorithm: "oidc" });
      const server = await oauth.processDiscoveryResponse(url, response);
      if (this.discovered.size >= 1_000) this.discovered.clear();
      this.discovered.set(issuer, { server, until: this.now() + DISCOVERY_TTL_MS });
      return server;
    } catch (error) {
      throw new FederatedLoginError("temporarily_unavailable", `The provider's discovery failed: ${describe(error)}`);
    }
  }

  async start(provider: UpstreamProvider, redirectUri: string): Promise<{ url: URL; pending: PendingLogin }> {
    const server = await this.server(provider);
    if (!server.authorization_endpoint)
      throw new FederatedLoginError("server_error", "The provider has no authorization endpoint.");
    const pending: PendingLogin = {
      state: oauth.generateRandomState(),
      codeVerifier: oauth.generateRandomCodeVerifier(),
      nonce: provider.entry.kind === "oidc" ? oauth.generateRandomNonce() : null,
    };
    const url = new URL(server.authorization_endpoint);
    const params: Record<string, string> = {
      client_id: provider.clientId,
      redirect_uri: redirectUri,
      response_type: "code",
      scope: provider.scopes.join(" "),
      state: pending.state,
      code_challenge: await oauth.calculatePKCECodeChallenge(pending.codeVerifier),
      code_challenge_method: "S256",
      ...(pending.nonce ? { nonce: pending.nonce } : {}),
      ...(provider.entry.kind === "oidc" ? provider.entry.authorizationParams : {}),
    };
    for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
    return { url, pending };
  }

  /** Completes the login from the callback's parameters; throws FederatedLoginError for anything unusable. */
  async finish(
    provider: UpstreamProvider,
    callback: URLSearchParams,
    pending: PendingLogin,
    redirectUri: string,
  ): Promise<ExternalProfile> {
    const server = await this.server(provider);
    const client: oauth.Client = { client_id: provider.clientId };
    const auth = oauth.ClientSecretPost(provider.clientSecret);
    const options = this.options(server.issuer);
    let params: URLSearchParams;
    try {
      params = oauth.validateAuthResponse(server, client, callback, pending.state);
    } catch (error) {
      if (error instanceof oauth.AuthorizationResponseError) {
        const denied = error.error === "access_denied";
        throw new FederatedLoginError(
          denied ? "access_denied" : "server_error",
          `The provider answered ${error.error}.`,
        );
      }
      throw new FederatedLoginError("invalid_request", `The provider's answer is not valid: ${describe(error)}`);
    }
    try {
      const response = await oauth.authorizationCodeGrantRequest(
        server,
        client,
        auth,
        params,
        redirectUri,
        pending.codeVerifier,
        options,
      );
      if (provider.entry.kind === "oauth2") {
        const tokens = await oauth.processAuthorizationCodeResponse(server, client, response);
        return await provider.entry.profile(this.fetchJson(), tokens.access_token);
      }
      const tokens = await oauth.processAuthorizationCodeResponse(server, client, response, {
        expectedNonce: pending.nonce ?? oauth.expectNoNonce,
        requireIdToken: true,
      });
      // oauth4webapi checks iss, aud, exp, iat and nonce; the signature is checked here against the
      // provider's JWKS (the TLS channel alone would do per OIDC Core §3.1.3.7, but not on plain loopback).
      await oauth.validateApplicationLevelSignature(server, response, options);
      const claims = { ...oauth.getValidatedIdTokenClaims(tokens) } as Record<string, unknown>;
      if (!claims.email && server.userinfo_endpoint) {
        const info = await oauth.userInfoRequest(server, client, tokens.access_token, options);
        Object.assign(claims, await oauth.processUserInfoResponse(server, client, String(claims.sub), info), claims);
      }
      return oidcProfile(claims, provider.name);
    } catch (error) {
      if (error instanceof FederatedLoginError) throw error;
      throw new FederatedLoginError(
        "server_error",
        `The login at the provider could not be completed: ${describe(error)}`,
      );
    }
  }

  private fetchJson(): FetchJson {
    return async (url, accessToken) => {
      const response = await this.fetchImpl(url, {
        headers: { Authorization: `Bearer ${accessToken}`, Accept: "application/json", "User-Agent": "authority" },
        signal: AbortSignal.timeout(UPSTREAM_TIMEOUT_MS),
      });
      if (!response.ok) throw new Error(`${new URL(url).pathname} answered ${response.status}`);
      return response.json();
    };
  }
}

function describe(error: unknown): string {
  if (error instanceof oauth.ResponseBodyError)
    return `${error.error}${error.error_description ? ` (${error.error_description})` : ""}`;
  return error instanceof Error ? error.message : String(error);
}
