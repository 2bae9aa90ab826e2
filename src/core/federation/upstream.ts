import * as oauth from "oauth4webapi";
import { BoundedCache } from "../bounded-cache.js";
import type { EgressPolicy } from "../net/egress.js";
import { type EgressLimits, egressFetch } from "../net/egress-fetch.js";
import { CLOCK_SKEW_SECONDS } from "../tokens/access-token.js";
import { type CatalogueEntry, type ExternalProfile, type FetchJson, oidcProfile } from "./catalogue.js";
import { FederatedLoginError } from "./federated-logins.js";

/** How long a provider's discovery document is reused in this process or isolate. */
const DISCOVERY_TTL_MS = 60 * 60_000;
/**
 * A signature that fails under the cached key of its `kid` refetches the
 * provider's JWKS (it may have rotated the key under the same `kid`), at most
 * once in this long per provider: a stream of forged tokens cannot make us hammer it.
 */
const JWKS_REFETCH_COOLDOWN_MS = 60_000;
/** Every upstream call: 5 s, body included; 1 MiB of body at most (discovery, JWKS and tokens are a few KiB). */
const UPSTREAM_LIMITS: EgressLimits = { timeoutMs: 5_000, maxBytes: 1024 * 1024 };

/**
 * The step of a login whose upstream call or answer failed. The browser learns
 * the step's fixed message only, whatever the cause (a closed port, garbage,
 * a timeout, TLS), so a provider's URLs cannot be used to probe a network;
 * the cause goes to the log and to the provider's last-error record.
 */
export type UpstreamStep = "discovery" | "callback" | "token" | "keys" | "userinfo";

const STEP_FAILURES: Record<UpstreamStep, [FederatedLoginError["error"], string]> = {
  discovery: ["temporarily_unavailable", "The provider's configuration could not be fetched."],
  callback: ["invalid_request", "The provider's answer is not valid."],
  token: ["server_error", "The provider's token response could not be used."],
  keys: ["server_error", "The provider's ID token signature could not be verified."],
  userinfo: ["server_error", "The provider's account details could not be fetched."],
};

/** A login ended by an upstream failure: the browser's message from `step`, the cause in `detail`. */
export class UpstreamFailure extends FederatedLoginError {
  constructor(
    readonly step: UpstreamStep,
    readonly detail: string,
  ) {
    const [error, description] = STEP_FAILURES[step];
    super(error, description);
  }
}

/** Errors a provider's callback may carry that the client app gets as they are. */
const PASSED_ON: ReadonlySet<string> = new Set(["access_denied", "temporarily_unavailable", "server_error"]);

/** Runs one step; any failure in it becomes that step's UpstreamFailure. */
/** Runs one step of a login; a failure names the step, its cause told without the login's `secrets`. */
async function step<T>(name: UpstreamStep, run: () => Promise<T>, secrets: readonly string[] = []): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof FederatedLoginError) throw error;
    throw new UpstreamFailure(name, describe(error, secrets));
  }
}

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

/** A provider's discovery document and what the process keeps of its JWKS. */
interface Discovered {
  server: oauth.AuthorizationServer;
  /**
   * The JWKS as oauth4webapi caches it (its `jwksCache` option, which it
   * refetches after 5 minutes, or after 1 for an unknown `kid`). Replaced by
   * an empty one to force a refetch.
   */
  jwks: oauth.JWKSCacheInput;
  /** When a failed signature last forced a refetch (epoch ms), for the cooldown. */
  refetchedAt: number;
}

/** Providers' discovery documents, by issuer. */
export type DiscoveryCache = BoundedCache<Discovered>;
export const discoveryCache = (): DiscoveryCache => new BoundedCache(1_000, DISCOVERY_TTL_MS);

/**
 * The OAuth 2.0 / OpenID Connect client side of federated login, on
 * oauth4webapi: discovery (cached), the authorization URL with PKCE S256,
 * state and nonce, and the callback: code exchange, ID token validation
 * (signature against the provider's JWKS, iss, aud, exp, iat, nonce) and profile.
 */
export class UpstreamClient {
  private readonly fetchImpl: typeof fetch;

  /**
   * `fetchImpl` is the runtime's fetch; every call goes through the egress
   * policy and limits. `discovered` is the process's when the client is
   * built per request.
   */
  constructor(
    fetchImpl: typeof fetch,
    policy: EgressPolicy,
    private readonly now: () => number,
    private readonly discovered: DiscoveryCache = discoveryCache(),
  ) {
    this.fetchImpl = egressFetch(fetchImpl, policy, UPSTREAM_LIMITS);
  }

  private options(issuer: string) {
    return {
      [oauth.customFetch]: this.fetchImpl,
      // Whether http may be used at all is the egress policy's call, made for every request.
      [oauth.allowInsecureRequests]: new URL(issuer).protocol === "http:",
    };
  }

  private async server(provider: UpstreamProvider): Promise<oauth.AuthorizationServer> {
    return (await this.discovery(provider)).server;
  }

  private async discovery(provider: UpstreamProvider): Promise<Discovered> {
    const { entry } = provider;
    if (entry.kind === "oauth2") {
      const server = {
        issuer: entry.issuer,
        authorization_endpoint: entry.authorizationEndpoint,
        token_endpoint: entry.tokenEndpoint,
      };
      return { server, jwks: {}, refetchedAt: 0 };
    }
    const issuer = provider.issuer ?? entry.issuer;
    if (!issuer)
      throw new FederatedLoginError("server_error", `The provider "${provider.name}" has no issuer configured.`);
    const hit = this.discovered.get(issuer, this.now());
    if (hit) return hit;
    return step("discovery", async () => {
      const url = new URL(issuer);
      const response = await oauth.discoveryRequest(url, { ...this.options(issuer), algorithm: "oidc" });
      const discovered = { server: await oauth.processDiscoveryResponse(url, response), jwks: {}, refetchedAt: 0 };
      this.discovered.set(issuer, discovered, this.now());
      return discovered;
    });
  }

  /**
   * The ID token's signature against the provider's JWKS. oauth4webapi keys
   * its own JWKS cache by the server object, so each call gets a copy and the
   * JWKS comes from `discovered.jwks`, which a refetch can replace. A signature
   * failing under the key of its `kid` refetches the JWKS once (the provider
   * may have rotated that key under the same `kid`) and is checked again.
   */
  private async verifySignature(discovered: Discovered, response: Response, issuer: string): Promise<void> {
    const check = () =>
      oauth.validateApplicationLevelSignature({ ...discovered.server }, response, {
        ...this.options(issuer),
        [oauth.jwksCache]: discovered.jwks,
      });
    try {
      await check();
    } catch (error) {
      const badSignature =
        error instanceof oauth.OperationProcessingError &&
        error.code === oauth.INVALID_RESPONSE &&
        error.message === "JWT signature verification failed";
      const now = this.now();
      if (!badSignature || now - discovered.refetchedAt < JWKS_REFETCH_COOLDOWN_MS) throw error;
      discovered.refetchedAt = now;
      discovered.jwks = {};
      await check();
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
    // A provider's error text may quote the request it refuses (some echo the form): never these values.
    const secrets = [provider.clientSecret, pending.codeVerifier, callback.get("code") ?? ""];
    const at = <T>(name: UpstreamStep, run: () => Promise<T>) => step(name, run, secrets);
    const discovered = await this.discovery(provider);
    const { server } = discovered;
    const client: oauth.Client = { client_id: provider.clientId };
    const auth = oauth.ClientSecretPost(provider.clientSecret);
    const options = this.options(server.issuer);
    const params = await at("callback", async () => {
      try {
        return oauth.validateAuthResponse(server, client, callback, pending.state);
      } catch (error) {
        // RFC 6749 §4.1.2.1: the user's refusal, and the provider's own trouble (the app may try again later),
        // reach the app as such; any other error is this service's request gone wrong (the step's failure).
        if (error instanceof oauth.AuthorizationResponseError && PASSED_ON.has(error.error))
          throw new FederatedLoginError(
            error.error as FederatedLoginError["error"],
            `The provider answered ${error.error}.`,
          );
        throw error;
      }
    });
    const { entry } = provider;
    const response = await at("token", () =>
      oauth.authorizationCodeGrantRequest(server, client, auth, params, redirectUri, pending.codeVerifier, options),
    );
    if (entry.kind === "oauth2") {
      const tokens = await at("token", () => oauth.processAuthorizationCodeResponse(server, client, response));
      return at("userinfo", () => entry.profile(this.fetchJson(), tokens.access_token));
    }
    const tokens = await at("token", async () => {
      const processed = await oauth.processAuthorizationCodeResponse(server, client, response, {
        expectedNonce: pending.nonce ?? oauth.expectNoNonce,
        requireIdToken: true,
      });
      // oauth4webapi only requires `iat` to be a number; one from the future (OIDC Core §3.1.3.7 item 10
      // lets the client bound it) is refused with the skew allowed on other parties' clocks (RFC 8725 §3.4).
      const { iat } = oauth.getValidatedIdTokenClaims(processed) ?? {};
      if (typeof iat === "number" && iat > this.now() / 1000 + CLOCK_SKEW_SECONDS)
        throw new Error('unexpected JWT "iat" (issued at) claim value, it is in the future');
      return processed;
    });
    // oauth4webapi checks iss, aud, exp and nonce, and `iat` is bounded above; the signature is checked here against the
    // provider's JWKS (the TLS channel alone would do per OIDC Core §3.1.3.7, but not on plain loopback).
    await at("keys", () => this.verifySignature(discovered, response, server.issuer));
    const claims = { ...oauth.getValidatedIdTokenClaims(tokens) } as Record<string, unknown>;
    if (!claims.email && server.userinfo_endpoint) {
      await at("userinfo", async () => {
        const info = await oauth.userInfoRequest(server, client, tokens.access_token, options);
        Object.assign(claims, await oauth.processUserInfoResponse(server, client, String(claims.sub), info), claims);
      });
    }
    return at("token", async () => oidcProfile(claims, provider.name));
  }

  /** For OAuth 2.0 providers' APIs; through the same egress fetch (no redirects, limits). */
  private fetchJson(): FetchJson {
    return async (url, accessToken) => {
      const response = await this.fetchImpl(url, {
        headers: { Authorization: `Bearer ${accessToken}`, Accept: "application/json", "User-Agent": "authority" },
      });
      if (!response.ok) throw new Error(`${new URL(url).pathname} answered ${response.status}`);
      return response.json();
    };
  }
}

/** `text` with each of `values` (as sent: raw or form-encoded) cut out. */
function withoutValues(text: string, values: readonly string[]): string {
  let out = text;
  for (const value of values.filter((v) => v.length >= 4)) {
    const encoded = encodeURIComponent(value);
    for (const form of new Set([value, encoded, encoded.replace(/%20/g, "+")]))
      out = out.split(form).join("[redacted]");
  }
  return out;
}

/**
 * The cause of a failure, for the log and the last-error record: one line,
 * no query strings, none of the login's secrets, 300 characters.
 */
function describe(error: unknown, secrets: readonly string[]): string {
  let text: string;
  if (error instanceof oauth.ResponseBodyError)
    text = `${error.error}${error.error_description ? ` (${error.error_description})` : ""}`;
  else if (error instanceof oauth.AuthorizationResponseError) text = `the provider answered ${error.error}`;
  else if (error instanceof Error) {
    // fetch's "fetch failed" says what failed in its cause (ECONNREFUSED, a certificate, a name...).
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
    text = `${error.message}${cause}`;
  } else text = String(error);
  return withoutValues(text, secrets)
    .replace(/\?[^\s"']*/g, "?…")
    .replace(/\s+/g, " ")
    .slice(0, 300);
}
