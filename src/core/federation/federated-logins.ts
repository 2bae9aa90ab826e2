import type { AccountService } from "../accounts/accounts.js";
import { sha256Base64Url } from "../crypto/digest.js";
import { toBase64Url } from "../crypto/encoding.js";
import type { Sealer } from "../crypto/sealing.js";
import { errors } from "../errors.js";
import type { Clock, Random } from "../ports/clock.js";
import type { Database, Tenant, UserRecord } from "../ports/database.js";
import type { KeyValueStore } from "../ports/key-value.js";
import type { Logger } from "../ports/logger.js";
import type { Metrics } from "../ports/telemetry.js";
import { LoginCutoffs } from "../sessions/login-cutoffs.js";
import type { LoginMethod } from "../sessions/sessions.js";
import type { ExternalProfile } from "./catalogue.js";

/** API.md: a one-time code works once, for 60 s. */
const CODE_TTL_MS = 60_000;
// The tenant is part of the key so a code presented at another tenant misses
// and is not consumed there (someone who learns a code cannot burn it elsewhere).
const codeKey = (tenantId: string, hash: string) => `login-code:${tenantId}:${hash}`;

/** What a one-time code stands for (at the tenant its key names). */
interface StoredCode {
  userId: string;
  method: LoginMethod;
  codeChallenge: string | null;
  /** Epoch ms, for LoginCutoffs; absent in codes of an earlier version. */
  issuedAt?: number;
}

/** Where an identity's profile is sealed: its tenant, provider key and subject. */
export const identityProfileContext = (tenantId: string, providerKey: string, subject: string) =>
  `user_identities.profile:${tenantId}:${providerKey}:${subject}`;

/** 1-255 characters, none of them controls or unpaired surrogates. */
const USABLE_SUBJECT = /^[^\p{Cc}\p{Cs}]{1,255}$/u;

/** A login that cannot complete; the flow ends at the client app with this RFC 6749 §4.1.2.1 error. */
export class FederatedLoginError extends Error {
  constructor(
    readonly error: "access_denied" | "server_error" | "temporarily_unavailable" | "invalid_request",
    readonly description: string,
  ) {
    super(description);
    this.name = "FederatedLoginError";
  }
}

/** `oauth` or `saml`: the kind of upstream a provider key (`oauth:google`, `saml:acme`) names, a bounded metric label. */
const providerTypeOf = (providerKey: string) => (providerKey.startsWith("saml:") ? "saml" : "oauth");

export interface FederatedLoginDeps {
  db: Database;
  kv: KeyValueStore;
  sealer: Sealer;
  accounts: AccountService;
  clock: Clock;
  random: Random;
  metrics: Metrics;
}

/**
 * What every federated login (OAuth/OIDC providers, SAML connections) shares
 * once the upstream has vouched for someone: linking the identity to a user,
 * and the one-time code the client app redeems at `POST /v1/token/exchange`.
 */
export class FederatedLogins {
  private readonly cutoffs: LoginCutoffs;

  constructor(
    private readonly deps: FederatedLoginDeps,
    readonly logger: Logger,
  ) {
    this.cutoffs = new LoginCutoffs(deps);
  }

  /**
   * Linking policy: a known identity (`providerKey` + subject) signs in to
   * its user. A new identity joins an existing account with the same email
   * only when this service has verified that account's address and the
   * upstream asserts the email verified; otherwise whoever registered the
   * address first (with a password of their own, unverified) would receive
   * the upstream user's logins (pre-account takeover). With no such account
   * a user is created, `email_verified` as the upstream asserts it.
   */
  async link(tenant: Tenant, providerKey: string, profile: ExternalProfile): Promise<UserRecord> {
    // The subject comes from the provider, not from a validated request: it goes into a unique index.
    if (!USABLE_SUBJECT.test(profile.subject)) {
      throw new FederatedLoginError("access_denied", "The provider's account identifier is not usable.");
    }
    const user = await this.linkedUser(tenant, providerKey, profile);
    if (user.disabledAt) throw new FederatedLoginError("access_denied", "This account is disabled.");
    return user;
  }

  private async linkedUser(tenant: Tenant, providerKey: string, profile: ExternalProfile): Promise<UserRecord> {
    const { db, accounts } = this.deps;
    const now = this.deps.clock.now();
    const profileSealed = await this.deps.sealer.seal(
      JSON.stringify({ email: profile.email, name: profile.name }),
      identityProfileContext(tenant.id, providerKey, profile.subject),
    );
    const known = await db.identities.find(tenant.id, providerKey, profile.subject);
    if (known) {
      const user = await accounts.findUser(tenant, known.userId);
      if (!user) throw new FederatedLoginError("access_denied", "The account of this identity no longer exists.");
      await db.identities.recordLogin(tenant.id, known.id, profileSealed, now);
      return user;
    }
    if (!profile.email) throw new FederatedLoginError("access_denied", "The provider shared no email address.");
    const account = await accounts.findOrCreateFederated(tenant, {
      email: profile.email,
      name: profile.name,
      emailVerified: profile.emailVerified,
    });
    if (!account) throw new FederatedLoginError("access_denied", "The provider's email address is not usable.");
    if (!account.created && !(account.user.emailVerified && profile.emailVerified)) {
      this.logger.warn("federated_link_refused", {
        tenant_id: tenant.id,
        provider: providerKey,
        user_id: account.user.id,
      });
      this.deps.metrics.increment("federated_link_refused_total", { provider_type: providerTypeOf(providerKey) });
      throw new FederatedLoginError(
        "access_denied",
        "An account with this email already exists; sign in to it the way it was created.",
      );
    }
    const identity = await db.identities.createIfAbsent({
      id: this.deps.random.uuid(),
      tenantId: tenant.id,
      userId: account.user.id,
      provider: providerKey,
      subject: profile.subject,
      emailVerified: profile.emailVerified,
      profileSealed,
      now,
    });
    if (identity) return account.user;
    // The same upstream account finished a login concurrently: use what it linked.
    const winner = await db.identities.find(tenant.id, providerKey, profile.subject);
    const user = winner ? await accounts.findUser(tenant, winner.userId) : null;
    if (!user) throw new FederatedLoginError("server_error", "The identity could not be linked.");
    return user;
  }

  /** A one-time code for the client app (60 s, single use, only its hash stored). */
  async issueCode(
    tenant: Tenant,
    user: UserRecord,
    method: LoginMethod,
    codeChallenge: string | null,
  ): Promise<string> {
    const code = toBase64Url(this.deps.random.bytes(32));
    const stored: StoredCode = { userId: user.id, method, codeChallenge, issuedAt: this.deps.clock.now().getTime() };
    await this.deps.kv.set(codeKey(tenant.id, await sha256Base64Url(code)), JSON.stringify(stored), {
      ttlMs: CODE_TTL_MS,
    });
    this.logger.info("federated_login", { tenant_id: tenant.id, method: method.authMethod, user_id: user.id });
    return code;
  }

  /**
   * Redeems a one-time code (once: it is deleted on first presentation at
   * its own tenant, right or wrong; another tenant's lookup misses it). When the login had a `code_challenge`, the
   * `code_verifier` must hash to it (RFC 7636 §4.6). A code issued before
   * its user's sessions were all ended (LoginCutoffs) is refused. Failures
   * are 400 `invalid_grant`.
   */
  async exchange(
    tenant: Tenant,
    code: string,
    codeVerifier: string | undefined,
  ): Promise<{ user: UserRecord; method: LoginMethod }> {
    const raw = code.length <= 512 ? await this.deps.kv.take(codeKey(tenant.id, await sha256Base64Url(code))) : null;
    const stored = raw ? (JSON.parse(raw) as StoredCode) : null;
    if (!stored) throw errors.invalidCode("The code is unknown, used or expired.");
    if (stored.codeChallenge !== null) {
      if (!codeVerifier || !/^[A-Za-z0-9._~-]{43,128}$/.test(codeVerifier)) {
        throw errors.invalidCode("This code needs its code_verifier.");
      }
      if ((await sha256Base64Url(codeVerifier)) !== stored.codeChallenge) {
        throw errors.invalidCode("The code_verifier does not match.");
      }
    }
    const user = await this.deps.accounts.findUser(tenant, stored.userId);
    if (!user) throw errors.invalidCode("The account no longer exists.");
    if (user.disabledAt) throw errors.invalidCode("The account is disabled.");
    if (await this.cutoffs.ended(tenant, user.id, stored.issuedAt)) {
      throw errors.invalidCode("The account's sessions were ended since the code was issued.");
    }
    return { user, method: stored.method };
  }
}
