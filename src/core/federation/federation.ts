import { putSealed, takeSealed } from "../crypto/sealed-entries.js";
import { type Sealer, SealingError } from "../crypto/sealing.js";
import { errors } from "../errors.js";
import type { EgressPolicy } from "../net/egress.js";
import { withParams } from "../net/redirect-uri.js";
import { errorParams } from "../oidc/oauth-error.js";
import type { Clock, Random } from "../ports/clock.js";
import type { Database, OAuthProviderRecord, Tenant } from "../ports/database.js";
import type { KeyValueStore } from "../ports/key-value.js";
import type { Logger } from "../ports/logger.js";
import { settleAll } from "../settle-all.js";
import { redirectUrisOf } from "../tenant-settings.js";
import { catalogueEntry } from "./catalogue.js";
import { FederatedLoginError, type FederatedLogins } from "./federated-logins.js";
import { type UpstreamClient, UpstreamFailure, type UpstreamProvider, type UpstreamStep } from "./upstream.js";

/** How long a started login may take at the provider. */
const STATE_TTL_MS = 10 * 60_000;
/** How long a provider's last upstream failure stays readable for its admins. */
const LAST_ERROR_TTL_MS = 3 * 24 * 60 * 60_000;
/**
 * A pending login is found under its tenant and provider as well as its state,
 * so a callback at another tenant or provider misses it and cannot spend it.
 */
const stateKey = (tenantId: string, name: string, state: string) => `oauth-state:${tenantId}:${name}:${state}`;
const lastErrorKey = (tenantId: string, name: string) => `oauth-provider-error:${tenantId}:${name}`;
export const providerSecretContext = (tenantId: string, name: string) =>
  `oauth_providers.client_secret:${tenantId}:${name}`;

/**
 * What the authorize step stores under its state, for the callback. Stored
 * under a key naming the tenant and provider, which therefore need not be
 * stored again; sealed with that key as associated data, so a Redis dump
 * holds no verifier or nonce, and a value moved to another state key does not open.
 */
interface StoredLogin {
  redirectUri: string;
  clientState: string | null;
  codeChallenge: string | null;
  codeVerifier: string;
  nonce: string | null;
}

/** The last failed upstream call of a provider: when, at which step, and its cause (one line, truncated). */
interface UpstreamErrorRecord {
  at: Date;
  step: UpstreamStep;
  detail: string;
}

export interface FederationDeps {
  db: Database;
  kv: KeyValueStore;
  sealer: Sealer;
  logins: FederatedLogins;
  upstream: UpstreamClient;
  /** Where the provider URLs tenants give may point (checked at configuration; the upstream client checks every call). */
  egress: EgressPolicy;
  clock: Clock;
  random: Random;
  logger: Logger;
}

/** Where the browser goes next: the provider, or back to the client app. */
export type Redirect = { location: string };

/**
 * Federated login through upstream OAuth 2.0 / OpenID Connect providers:
 * authorize -> provider -> callback -> one-time code -> token exchange.
 */
export class FederationService {
  constructor(private readonly deps: FederationDeps) {}

  /**
   * The tenant's enabled provider with its secret opened. Both failures a
   * login can meet here end at the client as an RFC 6749 error: no such
   * provider (`invalid_request`), or a secret that no configured encryption
   * key opens (`server_error`, an operator's mistake, logged). Anything else
   * (the database failing) propagates.
   */
  private async provider(tenant: Tenant, name: string): Promise<UpstreamProvider> {
    const row = await this.deps.db.oauthProviders.find(tenant.id, name);
    if (!row?.enabled)
      throw new FederatedLoginError("invalid_request", `The tenant has no enabled provider "${name}".`);
    const entry = catalogueEntry(name);
    const clientSecret = await this.deps.sealer
      .open(row.clientSecretSealed, providerSecretContext(tenant.id, name))
      .catch((error: unknown) => {
        if (!(error instanceof SealingError)) throw error;
        this.deps.logger.error("provider_secret_unreadable", {
          tenant_id: tenant.id,
          provider: name,
          reason: error.message,
        });
        throw new FederatedLoginError("server_error", `The provider "${name}" is misconfigured.`);
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
    basis?: OAuthProviderRecord,
  ): Promise<OAuthProviderRecord> {
    const refusal = input.issuer ? this.deps.egress.refusal(new URL(input.issuer)) : null;
    if (refusal) throw errors.validation([{ path: "issuer", message: refusal }]);
    const existing = basis ?? (await this.deps.db.oauthProviders.find(tenant.id, name));
    const provider = {
      id: existing?.id ?? this.deps.random.uuid(),
      tenantId: tenant.id,
      name,
      clientId: input.clientId,
      clientSecretSealed: await this.deps.sealer.seal(input.clientSecret, providerSecretContext(tenant.id, name)),
      issuer: input.issuer,
      scopes: input.scopes,
      enabled: input.enabled,
      now: this.deps.clock.now(),
    };
    // A conditional write (RFC 9110 §13.1.1): only while the provider is still as `basis` read it.
    const stored = basis
      ? await this.deps.db.oauthProviders.replaceIf(provider, basis.clientSecretSealed)
      : await this.deps.db.oauthProviders.upsert(provider);
    if (!stored) throw errors.preconditionFailed();
    // OIDC Core §2: a subject is unique only within its issuer. Unlinked after the new issuer is
    // stored, so a login of the old one finishing meanwhile leaves no link behind.
    if (existing && existing.issuer !== input.issuer) await this.unlink(tenant, name);
    return stored;
  }

  /** The tenant's providers in name order after `afterName` (secrets stay sealed; callers show none). */
  list(tenant: Tenant, afterName: string | null, limit: number): Promise<OAuthProviderRecord[]> {
    return this.deps.db.oauthProviders.list(tenant.id, afterName, limit);
  }

  find(tenant: Tenant, name: string): Promise<OAuthProviderRecord | null> {
    return this.deps.db.oauthProviders.find(tenant.id, name);
  }

  /**
   * Deletes a provider: logins through it stop at once (every step reads the
   * provider again), and its failure record goes with it. Resolves whether it existed. With `basis`,
   * only while the provider is still as read (else 412, RFC 9110 §13.1.1).
   */
  async remove(tenant: Tenant, name: string, basis?: OAuthProviderRecord): Promise<boolean> {
    const now = this.deps.clock.now();
    const removed = await this.deps.db.oauthProviders.softDelete(tenant.id, name, now, basis?.clientSecretSealed);
    if (!removed && basis) throw errors.preconditionFailed();
    if (removed) await settleAll([this.deps.kv.del(lastErrorKey(tenant.id, name)), this.unlink(tenant, name)]);
    return removed;
  }

  /** A removed or re-pointed provider's subjects may name other people: its links go. */
  private async unlink(tenant: Tenant, name: string): Promise<void> {
    const count = await this.deps.db.identities.unlinkProvider(tenant.id, `oauth:${name}`, this.deps.clock.now());
    if (count > 0)
      this.deps.logger.info("identities_unlinked", { tenant_id: tenant.id, provider: `oauth:${name}`, count });
  }

  /**
   * Starts a login: the redirect URI must be on the tenant's allowlist
   * exactly (RFC 9700 §2.1; otherwise 400 and no redirect), unless it is the
   * hosted login's own return route (`hostedReturn`, set by the HTTP layer,
   * never from a request). State, PKCE verifier and nonce stay server-side
   * for STATE_TTL_MS.
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
      hostedReturn?: boolean;
    },
  ): Promise<Redirect> {
    if (!query.hostedReturn && !redirectUrisOf(tenant).includes(query.redirectUri)) {
      throw errors.invalidRedirectUri();
    }
    const back = (error: string, description: string) => ({
      location: withParams(query.redirectUri, { ...errorParams(error, description), state: query.state }),
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
        redirectUri: query.redirectUri,
        clientState: query.state,
        codeChallenge: query.codeChallenge,
        codeVerifier: pending.codeVerifier,
        nonce: pending.nonce,
      };
      const key = stateKey(tenant.id, name, pending.state);
      await putSealed(this.deps, key, stored, STATE_TTL_MS);
      return { location: url.toString() };
    } catch (error) {
      if (!(error instanceof FederatedLoginError)) throw error;
      await this.failed(tenant, name, error);
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
    const key = state && state.length <= 512 ? stateKey(tenant.id, name, state) : null;
    // Written in clear before logins were sealed: read for the upgrade's sake; they die within STATE_TTL_MS.
    const login = key ? await takeSealed<StoredLogin>(this.deps, key, { readClear: true }) : null;
    if (!login || !state) {
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
        { state, codeVerifier: login.codeVerifier, nonce: login.nonce },
        callbackUri,
      );
      const user = await this.deps.logins.link(tenant, `oauth:${name}`, profile);
      const method = { authMethod: `oauth:${name}`, amr: ["oauth"] };
      return back({ code: await this.deps.logins.issueCode(tenant, user, method, login.codeChallenge) });
    } catch (error) {
      if (!(error instanceof FederatedLoginError)) throw error;
      await this.failed(tenant, name, error);
      return back(errorParams(error.error, error.description));
    }
  }

  /** The provider's last upstream failure in the past few days, or null. */
  async lastUpstreamError(tenant: Tenant, name: string): Promise<UpstreamErrorRecord | null> {
    const raw = await this.deps.kv.get(lastErrorKey(tenant.id, name));
    if (!raw) return null;
    const stored = JSON.parse(raw) as { at: string; step: UpstreamStep; detail: string };
    return { at: new Date(stored.at), step: stored.step, detail: stored.detail };
  }

  /** A login that ends at the client with an error: the cause to the log, an upstream one also to the record. */
  private async failed(tenant: Tenant, name: string, error: FederatedLoginError): Promise<void> {
    const upstream = error instanceof UpstreamFailure ? error : null;
    this.deps.logger.warn("federation_failed", {
      tenant_id: tenant.id,
      provider: name,
      reason: upstream ? upstream.detail : error.message,
      ...(upstream ? { step: upstream.step } : {}),
    });
    if (!upstream) return;
    const record = { at: this.deps.clock.now().toISOString(), step: upstream.step, detail: upstream.detail };
    // The record is for admins; failing to write it must not change where the browser goes.
    await this.deps.kv
      .set(lastErrorKey(tenant.id, name), JSON.stringify(record), { ttlMs: LAST_ERROR_TTL_MS })
      .catch((cause: unknown) =>
        this.deps.logger.error("provider_error_unrecorded", { provider: name, reason: String(cause) }),
      );
  }
}
