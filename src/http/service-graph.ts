import { AccountService } from "../core/accounts/accounts.js";
import { EmailFlows } from "../core/accounts/email-flows.js";
import { PasswordFlows } from "../core/accounts/password-flows.js";
import { UserAdministration } from "../core/accounts/user-admin.js";
import { ApiKeyService } from "../core/api-keys/api-keys.js";
import { FederatedLogins } from "../core/federation/federated-logins.js";
import { FederationService } from "../core/federation/federation.js";
import { UpstreamClient } from "../core/federation/upstream.js";
import { MfaService } from "../core/mfa/mfa.js";
import { MfaLogins } from "../core/mfa/mfa-login.js";
import { PasskeyService } from "../core/mfa/passkeys.js";
import { StepUp } from "../core/mfa/step-up.js";
import { AuthorizationCodes } from "../core/oidc/authorization-codes.js";
import { ClientService } from "../core/oidc/clients.js";
import { ConsentService } from "../core/oidc/consents.js";
import { IdTokens } from "../core/oidc/id-tokens.js";
import { ProviderSessions } from "../core/oidc/provider-sessions.js";
import { TokenEndpoint } from "../core/oidc/token-endpoint.js";
import type { Logger } from "../core/ports/logger.js";
import { LoginThrottle } from "../core/rate-limit/login-throttle.js";
import { SamlService } from "../core/saml/saml.js";
import { SessionService } from "../core/sessions/sessions.js";
import { KeyRingService } from "../core/signing/key-ring.js";
import { AccessTokens, CLOCK_SKEW_SECONDS } from "../core/tokens/access-token.js";
import { TokenIntrospection } from "../core/tokens/introspection.js";
import { auditTap } from "./audit-tap.js";
import type { Services } from "./context.js";
import { correlatedFetch, type RequestScope, withRequestScope } from "./request-scope.js";
import { type SharedState, SharedView } from "./shared-state.js";
import { tracedFetch } from "./traced-fetch.js";

/** The services a graph builds for its logger, on first use. */
export interface Built {
  keyRing?: KeyRingService;
  tokens?: AccessTokens;
  throttle?: LoginThrottle;
  accounts?: AccountService;
  mfa?: MfaService;
  passkeys?: PasskeyService;
  logins?: FederatedLogins;
  sessions?: SessionService;
  apiKeys?: ApiKeyService;
  authorizationCodes?: AuthorizationCodes;
  clients?: ClientService;
  consents?: ConsentService;
  mfaLogins?: MfaLogins;
  stepUp?: StepUp;
  userAdmin?: UserAdministration;
  federation?: FederationService;
  saml?: SamlService;
  introspection?: TokenIntrospection;
  tokenEndpoint?: TokenEndpoint;
  providerSessions?: ProviderSessions;
  emailFlows?: EmailFlows;
  passwordFlows?: PasswordFlows;
}

/**
 * The services, wired onto one logger: the process's (jobs, the CLI), or one
 * request's (forRequest), whose lines carry its ids and whose security events
 * join its audit trail. Request-scoped services, as DI containers call them:
 * each is built on first use, from the shared state, so a request pays only
 * for what it touches (a /healthz, nothing), and nothing needs
 * AsyncLocalStorage to know which request it serves.
 */
export class ServiceGraph extends SharedView implements Services {
  #logger?: Logger;
  #deps?: SharedState["deps"];
  /** The services built so far (none for most requests: one object fewer for them to make). */
  #built?: Built;

  constructor(
    shared: SharedState,
    private readonly scope?: RequestScope,
  ) {
    super(shared);
  }

  /** The same services, serving one request. */
  forRequest(scope: RequestScope): Services {
    return new ServiceGraph(this.shared, scope);
  }

  get logger(): Logger {
    if (!this.scope) return this.shared.processLogger;
    if (!this.#logger) {
      const { deps, writeAudit } = this.shared;
      this.#logger = auditTap(withRequestScope(deps.logger, this.scope), deps, this.scope, writeAudit);
    }
    return this.#logger;
  }

  private get built(): Built {
    this.#built ??= {};
    return this.#built;
  }

  /**
   * The graph's deps with a service's own collaborators, spread onto a
   * template with every key already (made by the first graph to build that
   * service): V8 (Node 20) copies a spread object's layout at once, but each
   * key the copy then gains costs it about half a microsecond.
   */
  private depsWith<E extends object>(service: keyof Built, extras: E): SharedState["deps"] & E {
    const templates = this.shared.depsTemplates;
    // Keys only: a template must not keep the first request's objects alive.
    templates[service] ??= { ...this.shared.deps, ...Object.fromEntries(Object.keys(extras).map((key) => [key])) };
    return { ...templates[service], ...extras, logger: this.logger } as SharedState["deps"] & E;
  }

  /** The ports and this graph's logger, as the services take them. */
  private get deps() {
    this.#deps ??= { ...this.shared.deps, logger: this.logger };
    return this.#deps;
  }

  // Built for this graph's logger, on first use.
  get keyRing() {
    const { config } = this.shared.deps;
    this.built.keyRing ??= new KeyRingService(
      this.db,
      this.deps,
      {
        cacheMs: config.SIGNING_KEY_CACHE_TTL,
        jwksMaxAgeMs: config.JWKS_MAX_AGE,
        rotationIntervalMs: config.SIGNING_KEY_ROTATION_INTERVAL,
        clockSkewMs: CLOCK_SKEW_SECONDS * 1000,
      },
      this.shared.keyRings,
    );
    return this.built.keyRing;
  }
  get tokens() {
    this.built.tokens ??= new AccessTokens(this.keyRing, this.deps, this.config.PUBLIC_URL);
    return this.built.tokens;
  }
  private get throttle() {
    this.built.throttle ??= new LoginThrottle(this.deps);
    return this.built.throttle;
  }
  get accounts() {
    this.built.accounts ??= new AccountService(
      this.depsWith("accounts", { throttle: this.throttle, requestWanted: this.scope?.wanted }),
    );
    return this.built.accounts;
  }
  get mfa() {
    this.built.mfa ??= new MfaService(this.depsWith("mfa", { throttle: this.throttle, accounts: this.accounts }));
    return this.built.mfa;
  }
  get passkeys() {
    this.built.passkeys ??= new PasskeyService(this.depsWith("passkeys", { publicUrl: this.config.PUBLIC_URL }));
    return this.built.passkeys;
  }
  get logins() {
    this.built.logins ??= new FederatedLogins(this.depsWith("logins", { accounts: this.accounts }), this.logger);
    return this.built.logins;
  }
  get sessions() {
    this.built.sessions ??= new SessionService(
      this.depsWith("sessions", {
        tokens: this.tokens,
        userVersions: this.shared.userVersions,
        refreshTokens: this.shared.refreshTokens,
        graceMs: this.config.REFRESH_GRACE_PERIOD,
        ledger: this.shared.ledger,
      }),
    );
    return this.built.sessions;
  }
  get apiKeys() {
    this.built.apiKeys ??= new ApiKeyService(this.depsWith("apiKeys", { cacheTtlMs: this.config.API_KEY_CACHE_TTL }));
    return this.built.apiKeys;
  }
  get authorizationCodes() {
    this.built.authorizationCodes ??= new AuthorizationCodes(
      this.depsWith("authorizationCodes", { sessions: this.sessions }),
    );
    return this.built.authorizationCodes;
  }
  get clients() {
    this.built.clients ??= new ClientService(this.depsWith("clients", { sessions: this.sessions }));
    return this.built.clients;
  }
  get consents() {
    this.built.consents ??= new ConsentService(this.depsWith("consents", { sessions: this.sessions }));
    return this.built.consents;
  }
  get mfaLogins() {
    this.built.mfaLogins ??= new MfaLogins(
      this.depsWith("mfaLogins", {
        challenges: this.shared.mfaChallenges,
        factors: this.mfa,
        accounts: this.accounts,
        passkeys: this.passkeys,
      }),
    );
    return this.built.mfaLogins;
  }
  get stepUp() {
    this.built.stepUp ??= new StepUp(this.depsWith("stepUp", { factors: this.mfa }));
    return this.built.stepUp;
  }
  get userAdmin() {
    this.built.userAdmin ??= new UserAdministration(
      this.depsWith("userAdmin", {
        accounts: this.accounts,
        sessions: this.sessions,
        apiKeys: this.apiKeys,
        userVersions: this.shared.userVersions,
        cursors: this.shared.cursors,
      }),
    );
    return this.built.userAdmin;
  }
  get federation() {
    if (this.built.federation) return this.built.federation;
    const { deps, egress, discovery } = this.shared;
    const runtimeFetch = deps.upstreamFetch ?? ((input, init) => fetch(input, init));
    // Calls to providers carry the request's correlation (X-Request-Id, traceparent).
    const upstreamFetch = this.scope ? correlatedFetch(runtimeFetch, this.scope) : runtimeFetch;
    this.built.federation = new FederationService(
      this.depsWith("federation", {
        logins: this.logins,
        egress,
        upstream: new UpstreamClient(
          tracedFetch(upstreamFetch, deps.tracer),
          egress,
          () => deps.clock.now().getTime(),
          discovery,
        ),
      }),
    );
    return this.built.federation;
  }
  get saml() {
    this.built.saml ??= new SamlService(
      this.depsWith("saml", {
        logins: this.logins,
        saml: this.samlProtocol,
        metadataCache: this.shared.samlMetadata,
      }),
    );
    return this.built.saml;
  }
  get introspection() {
    this.built.introspection ??= new TokenIntrospection({
      tokens: this.tokens,
      blocklist: this.blocklist,
      sessions: this.sessions,
    });
    return this.built.introspection;
  }
  get tokenEndpoint() {
    this.built.tokenEndpoint ??= new TokenEndpoint(
      this.depsWith("tokenEndpoint", {
        codes: this.authorizationCodes,
        sessions: this.sessions,
        tokens: this.tokens,
        idTokens: new IdTokens(this.keyRing, this.tokens, this.deps),
      }),
    );
    return this.built.tokenEndpoint;
  }
  get providerSessions() {
    this.built.providerSessions ??= new ProviderSessions(
      this.depsWith("providerSessions", {
        sessions: this.sessions,
        accounts: this.accounts,
      }),
    );
    return this.built.providerSessions;
  }
  get emailFlows() {
    this.built.emailFlows ??= new EmailFlows(
      this.depsWith("emailFlows", {
        accounts: this.accounts,
        tokens: this.shared.accountTokens,
        mail: this.shared.accountMail,
        userVersions: this.shared.userVersions,
      }),
    );
    return this.built.emailFlows;
  }
  get passwordFlows() {
    this.built.passwordFlows ??= new PasswordFlows(
      this.depsWith("passwordFlows", {
        accounts: this.accounts,
        tokens: this.shared.accountTokens,
        mail: this.shared.accountMail,
        sessions: this.sessions,
        apiKeys: this.apiKeys,
        factors: this.mfa,
      }),
    );
    return this.built.passwordFlows;
  }
}
