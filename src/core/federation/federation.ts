import type { AccountService } from "../accounts/accounts.js";
import { toBase64Url } from "../crypto/encoding.js";
import { type Sealer, SealingError } from "../crypto/sealing.js";
import { errors } from "../errors.js";
import type { Clock, Random } from "../ports/clock.js";
import type { Database, OAuthProviderRecord, Tenant, UserRecord } from "../ports/database.js";
import type { KeyValueStore } from "../ports/key-value.js";
import type { Logger } from "../ports/logger.js";
import { redirectUrisOf } from "../tenant-settings.js";
import { catalogueEntry, type ExternalProfile } from "./catalogue.js";
import { type UpstreamClient, UpstreamError, type UpstreamProvider } from "./upstream.js";

/** How long a started login may take at the provider. */
const STATE_TTL_MS = 10 * 60_000;
/** API.md: a one-time code works once, for 60 s. */
const CODE_TTL_MS = 60_000;
const stateKey = (state: string) => `oauth-state:${state}`;
const codeKey = (hash: string) => `oauth-code:${hash}`;
const secretContext = (tenantId: string, name: string) => `oauth_providers.client_secret:${tenantId}:${name}`;

/** What the authorize step stores under its state, for the callback. */
interface StoredLogin {
  tenantId: string;
  provider: string;
  redirectUri: string;
  clientState: string | null;
  codeChallenge: string | null;
  codeVerifier: string;
  nonce: string | null;
}

/** What a one-time code stands for. */
interface StoredCode {
  tenantId: string;
  userId: string;
  provider: string;
  codeChallenge: string | null;
}

export interface FederationDeps {
  db: Database;
  kv: KeyValueStore;
  sealer: Sealer;
  accounts: AccountService;
  upstream: UpstreamClient;
  clock: Clock;
  random: Random;
  logger: Logger;
}

/** Where the browser goes next: the provider, or back to the client app. */
export type Redirect = { location: string };

async function sha256(text: string): Promise<string> {
  return toBase64Url(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text))));
}

/** `uri` with these query parameters added, keeping its own (RFC 6749 §3.1.2). */
export function withParams(uri: string, params: Record<string, string | null>): string {
  const url = new URL(uri);
  for (const [key, value] of Object.entries(params)) if (value !== null) url.searchParams.append(key, value);
  return url.toString();
}

/**
 * Federated login through upstream OAuth 2.0 / OpenID Connect providers:
 * authorize -> provider -> callback -> one-time code -> token exchange.
 */
export class FederationService {
  constructor(private readonly deps: FederationDeps) {}

  /** The tenant's provider with its secret opened, or 404 when absent or disabled. */
  /**
   * The tenant's enabled provider with its secret opened. Both failures a
   * login can meet here end at the client as an RFC 6749 error: no such
   * provider (`invalid_request`), or a secret that no configured encryption
   * key opens (`server_error`, an operator's mistake, logged). Anything else
   * (the database failing) propagates.
   */
  private async provider(tenant: Tenant, name: string): Promise<UpstreamProvider> {
    const row = await this.deps.db.oauthProviders.find(tenant.id, name);
    if (!row?.enabled) throw new UpstreamError("invalid_request", `The tenant has no enabled provider "${name}".`);
    const entry = catalogueEntry(name);
    const clientSecret = await this.deps.sealer
      .open(row.clientSecretSealed, secretContext(tenant.id, name))
      .catch((error: unknown) => {
        if (!(error instanceof SealingError)) throw error;
        this.deps.logger.error("provider_secret_unreadable", {
          tenant_id: tenant.id,
          provider: name,
          reason: error.message,
        });
        throw new UpstreamError("server_error", `The provider "${name}" is misconfigured.`);
      });
    return {
      name,
      entry,
      clientId: row.clientId,
      clientSecret,
      issuer: row.issuer,
      scopes: row.scopes.length > 0 ? row.scopes : entry.scopes,
    };
  }

  async configure(
    tenant: Tenant,
    name: string,
    input: { clientId: string; clientSecret: string; issuer: string | null; scopes: string[]; enabled: boolean },
  ): Promise<OAuthProviderRecord> {
    const existing = await this.deps.db.oauthProviders.find(tenant.id, name);
    return this.deps.db.oauthProviders.upsert({
      id: existing?.id ?? this.deps.random.uuid(),
      tenantId: tenant.id,
      name,
      clientId: input.clientId,
      clientSecretSealed: await this.deps.sealer.seal(input.clientSecret, secretContext(tenant.id, name)),
      issuer: input.issuer,
      scopes: input.scopes,
      enabled: input.enabled,
      now: this.deps.clock.now(),
    });
  }

  /**
   * Starts a login: the redirect URI must be on the tenant's allowlist
   * exactly (RFC 9700 §2.1; otherwise 400 and no redirect). State, PKCE
   * verifier and nonce stay server-side for STATE_TTL_MS.
   */
  async authorize(
    tenant: Tenant,
    name: string,
    callbackUri: string,
    query: {
      redirectUri: string;
      state: string | null;
      codeChallenge: string | null;
      codeChallengeMethod: string | null;
    },
  ): Promise<Redirect> {
    if (!redirectUrisOf(tenant).includes(query.redirectUri)) {
      throw errors.invalidRedirectUri();
    }
    const back = (error: string, description: string) => ({
      location: withParams(query.redirectUri, { error, error_description: description, state: query.state }),
    });
    // RFC 7636 §4.3: only S256; `plain` would let an intercepted code be redeemed.
    if (query.codeChallenge !== null || query.codeChallengeMethod !== null) {
      if (query.codeChallengeMethod !== "S256") return back("invalid_request", "code_challenge_method must be S256.");
      if (!/^[A-Za-z0-9_-]{43}$/.test(query.codeChallenge ?? "")) {
        return back("invalid_request", "code_challenge must be a base64url SHA-256 (43 characters).");
      }
    }
    try {
      const provider = await this.provider(tenant, name);
      const { url, pending } = await this.deps.upstream.start(provider, callbackUri);
      const stored: StoredLogin = {
        tenantId: tenant.id,
        provider: name,
        redirectUri: query.redirectUri,
        clientState: query.state,
        codeChallenge: query.codeChallenge,
        codeVerifier: pending.codeVerifier,
        nonce: pending.nonce,
      };
      await this.deps.kv.set(stateKey(pending.state), JSON.stringify(stored), { ttlMs: STATE_TTL_MS });
      return { location: url.toString() };
    } catch (error) {
      if (!(error instanceof UpstreamError)) throw error;
      this.deps.logger.warn("federation_failed", { tenant_id: tenant.id, provider: name, reason: error.message });
      return back(error.error, error.description);
    }
  }

  /**
   * The provider's answer. The state is spent on first use; an unknown,
   * spent or foreign state is 400 (no redirect target can be trusted).
   * Everything after that ends at the client's redirect URI, with a
   * one-time code or an RFC 6749 §4.1.2.1 error.
   */
  async callback(tenant: Tenant, name: string, callbackUri: string, params: URLSearchParams): Promise<Redirect> {
    const state = params.get("state");
    const raw = state && state.length <= 512 ? await this.deps.kv.take(stateKey(state)) : null;
    const login = raw ? (JSON.parse(raw) as StoredLogin) : null;
    if (!login || login.tenantId !== tenant.id || login.provider !== name) {
      throw errors.invalidState();
    }
    const back = (values: Record<string, string>) => ({
      location: withParams(login.redirectUri, { ...values, state: login.clientState }),
    });
    try {
      const provider = await this.provider(tenant, name);
      const profile = await this.deps.upstream.finish(
        provider,
        params,
        { state: state ?? "", codeVerifier: login.codeVerifier, nonce: login.nonce },
        callbackUri,
      );
      const user = await this.link(tenant, name, profile);
      const code = toBase64Url(this.deps.random.bytes(32));
      const stored: StoredCode = {
        tenantId: tenant.id,
        userId: user.id,
        provider: name,
        codeChallenge: login.codeChallenge,
      };
      await this.deps.kv.set(codeKey(await sha256(code)), JSON.stringify(stored), { ttlMs: CODE_TTL_MS });
      this.deps.logger.info("federated_login", { tenant_id: tenant.id, provider: name, user_id: user.id });
      return back({ code });
    } catch (error) {
      if (!(error instanceof UpstreamError)) throw error;
      this.deps.logger.warn("federation_failed", { tenant_id: tenant.id, provider: name, reason: error.message });
      return back({ error: error.error, error_description: error.description });
    }
  }

  /**
   * Linking policy: a known identity signs in to its user. A new one joins
   * the account with the same email only when the provider asserts the email
   * verified (otherwise whoever controls an unverified address at a provider
   * could take over the account); with no such account a user is created.
   */
  private async link(tenant: Tenant, name: string, profile: ExternalProfile): Promise<UserRecord> {
    const providerKey = `oauth:${name}`;
    const { db, accounts } = this.deps;
    const now = this.deps.clock.now();
    const profileSealed = await this.deps.sealer.seal(
      JSON.stringify({ email: profile.email, name: profile.name }),
      `user_identities.profile:${tenant.id}:${providerKey}:${profile.subject}`,
    );
    const known = await db.identities.find(tenant.id, providerKey, profile.subject);
    if (known) {
      const user = await accounts.findUser(tenant, known.userId);
      if (!user) throw new UpstreamError("access_denied", "The account of this identity no longer exists.");
      await db.identities.recordLogin(tenant.id, known.id, profileSealed, now);
      return user;
    }
    if (!profile.email) throw new UpstreamError("access_denied", "The provider shared no email address.");
    const account = await accounts.findOrCreateFederated(tenant, {
      email: profile.email,
      name: profile.name,
      emailVerified: profile.emailVerified,
    });
    if (!account) throw new UpstreamError("access_denied", "The provider's email address is not usable.");
    if (!account.created && !profile.emailVerified) {
      throw new UpstreamError(
        "access_denied",
        "An account with this email exists; the provider does not assert the email verified, so it is not linked.",
      );
    }
    const identity = await db.identities.createIfAbsent({
      id: this.deps.random.uuid(),
      tenantId: tenant.id,
      userId: account.user.id,
      provider: providerKey,
      subject: profile.subject,
      profileSealed,
      now,
    });
    if (identity) return account.user;
    // The same upstream account finished a login concurrently: use what it linked.
    const winner = await db.identities.find(tenant.id, providerKey, profile.subject);
    const user = winner ? await accounts.findUser(tenant, winner.userId) : null;
    if (!user) throw new UpstreamError("server_error", "The identity could not be linked.");
    return user;
  }

  /**
   * Redeems a one-time code (once: it is deleted on first presentation,
   * right or wrong). When the authorize step had a `code_challenge`, the
   * `code_verifier` must hash to it (RFC 7636 §4.6). Failures are 400
   * `invalid_grant`.
   */
  async exchange(
    tenant: Tenant,
    code: string,
    codeVerifier: string | undefined,
  ): Promise<{ user: UserRecord; provider: string }> {
    const raw = code.length <= 512 ? await this.deps.kv.take(codeKey(await sha256(code))) : null;
    const stored = raw ? (JSON.parse(raw) as StoredCode) : null;
    if (!stored || stored.tenantId !== tenant.id) throw errors.invalidCode("The code is unknown, used or expired.");
    if (stored.codeChallenge !== null) {
      if (!codeVerifier || !/^[A-Za-z0-9._~-]{43,128}$/.test(codeVerifier)) {
        throw errors.invalidCode("This code needs its code_verifier.");
      }
      if ((await sha256(codeVerifier)) !== stored.codeChallenge)
        throw errors.invalidCode("The code_verifier does not match.");
    }
    const user = await this.deps.accounts.findUser(tenant, stored.userId);
    if (!user) throw errors.invalidCode("The account no longer exists.");
    return { user, provider: stored.provider };
  }
}
