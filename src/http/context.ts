import type { Context } from "hono";
import type { Config } from "../config.js";
import type { AccountService } from "../core/accounts/accounts.js";
import type { EmailFlows } from "../core/accounts/email-flows.js";
import type { PasswordFlows } from "../core/accounts/password-flows.js";
import type { UserAdministration } from "../core/accounts/user-admin.js";
import type { ApiKeyService } from "../core/api-keys/api-keys.js";
import type { BackgroundTasks } from "../core/background.js";
import type { BrandingLogos } from "../core/branding-logo.js";
import type { Sealer } from "../core/crypto/sealing.js";
import type { FederatedLogins } from "../core/federation/federated-logins.js";
import type { FederationService } from "../core/federation/federation.js";
import type { MailOutbox } from "../core/mail/outbox.js";
import type { BrowserMfaChallenges } from "../core/mfa/browser-challenges.js";
import type { MfaService } from "../core/mfa/mfa.js";
import type { MfaLogins } from "../core/mfa/mfa-login.js";
import type { PasskeyService } from "../core/mfa/passkeys.js";
import type { StepUp } from "../core/mfa/step-up.js";
import type { EgressPolicy } from "../core/net/egress.js";
import type { AuthorizationCodes } from "../core/oidc/authorization-codes.js";
import type { PendingAuthorizations } from "../core/oidc/authorization-requests.js";
import type { OAuthClient } from "../core/oidc/client-types.js";
import type { ClientService } from "../core/oidc/clients.js";
import type { ConsentService } from "../core/oidc/consents.js";
import type { FederatedReturns } from "../core/oidc/federated-returns.js";
import type { ProviderSessions } from "../core/oidc/provider-sessions.js";
import type { TokenEndpoint } from "../core/oidc/token-endpoint.js";
import type { Cursors } from "../core/pagination/cursor.js";
import type { Clock, Random } from "../core/ports/clock.js";
import type { Database, Tenant, UserRecord } from "../core/ports/database.js";
import type { KeyValueStore } from "../core/ports/key-value.js";
import type { Logger } from "../core/ports/logger.js";
import type { Mailer } from "../core/ports/mail.js";
import type { PasswordHasher } from "../core/ports/password-hasher.js";
import type { SamlProtocol } from "../core/ports/saml.js";
import type { Metrics, Tracer } from "../core/ports/telemetry.js";
import type { RateLimiter } from "../core/rate-limit/limiter.js";
import type { SamlService } from "../core/saml/saml.js";
import type { AccessTokenBlocklist } from "../core/sessions/blocklist.js";
import type { SessionService } from "../core/sessions/sessions.js";
import type { KeyRingService } from "../core/signing/key-ring.js";
import type { TenantService } from "../core/tenants.js";
import type { AccessTokenClaims, AccessTokens } from "../core/tokens/access-token.js";
import type { TokenIntrospection } from "../core/tokens/introspection.js";
import type { RequestScope } from "./request-scope.js";

/** What an entry hands to createApp: configuration and the adapters it chose. */
export interface AppDeps {
  config: Config;
  db: Database;
  kv: KeyValueStore;
  clock: Clock;
  random: Random;
  logger: Logger;
  sealer: Sealer;
  passwords: PasswordHasher;
  /** Outgoing mail (Node: SMTP; Workers: Postmark; development: the log). */
  mailer?: Mailer;
  /** SAML protocol work (samlify on both runtimes; Node runs it on a worker thread). */
  samlProtocol: SamlProtocol;
  /** How the service calls upstream identity providers (default: the runtime's fetch; Node: one that refuses disallowed resolved addresses). */
  upstreamFetch?: typeof fetch;
  /** Where calls to tenant-given provider URLs may go (default: by APP_ENV, public only in production). */
  egressPolicy?: EgressPolicy;
  /** The client's address as this runtime knows it (Workers: cf-connecting-ip; Node: the socket or the trusted-proxy chain). */
  clientIp: (c: Context) => string | null;
  /** Spans (default: none recorded). */
  tracer?: Tracer;
  /** Counters and histograms (default: none kept). */
  metrics?: Metrics;
  /** Where `GET /metrics` reads its text (Node: the Prometheus registry); without it the route is not found. */
  metricsExposition?: MetricsExposition;
  /** Loads Swagger UI's files (at the first request of /docs); without it /docs is not found. */
  docsUi?: () => DocsUiAssets;
  /**
   * Work after a response lives only as long as the request's execution
   * context keeps it (Workers: `waitUntil`); otherwise the process outlives
   * the request (Node), which tracks the work until shutdown.
   */
  waitUntil?: boolean;
  /**
   * Puts headers every response carries on the outgoing response before the
   * runtime writes the route's Response, whose own headers of the same name
   * win (Node: the ServerResponse's setHeader, which writeHead's headers
   * override); true if it did. Without it, or false, they are set on the
   * route's Response (its Headers).
   */
  presetHeaders?: (c: Context, headers: Record<string, string>) => boolean;
  /**
   * Whether the request's client is still there to read its answer, read
   * later without the Context (Node: its response not destroyed by a closed
   * socket); absent where the runtime cannot tell cheaply. Password hashes of
   * a request whose client has gone are shed rather than run.
   */
  clientPresence?: (c: Context) => (() => boolean) | undefined;
  /** Set by a runtime that is shutting down (Node on SIGTERM): readiness fails, connections close after their response. */
  lifecycle?: Lifecycle;
}

interface Lifecycle {
  draining: boolean;
}

/** The pinned Swagger UI files each runtime supplies (Node: node_modules; Workers: bundled Text modules). */
export interface DocsUiAssets {
  script: string;
  stylesheet: string;
}

/** A metrics source that renders itself as text for scraping (the Prometheus exposition format). */
interface MetricsExposition {
  /** The Content-Type of the rendered text. */
  readonly contentType: string;
  render(): Promise<string>;
}

/** The services: the process's (buildServices), or one request's (forRequest), over the same state. */
export interface Services extends AppDeps {
  /** The same services, serving one request: their lines carry its ids, their security events join its audit trail. */
  forRequest(scope: RequestScope): Services;
  tracer: Tracer;
  metrics: Metrics;
  tenants: TenantService;
  /** The tenants' branding logos: fetched when set, served from this origin. */
  brandingLogos: BrandingLogos;
  /** Rate-limit decisions (GCRA in Redis) behind one circuit breaker. */
  limiter: RateLimiter;
  keyRing: KeyRingService;
  tokens: AccessTokens;
  accounts: AccountService;
  userAdmin: UserAdministration;
  sessions: SessionService;
  /** A login's second step (challenge and verification). */
  mfaLogins: MfaLogins;
  browserMfaChallenges: BrowserMfaChallenges;
  stepUp: StepUp;
  federation: FederationService;
  /** Identity linking and one-time codes shared by every federated login. */
  logins: FederatedLogins;
  saml: SamlService;
  blocklist: AccessTokenBlocklist;
  /** The admin listings' signed `next_cursor`s. */
  cursors: Cursors;
  apiKeys: ApiKeyService;
  introspection: TokenIntrospection;
  /** OAuth authorization codes: issued by the authorization endpoint, redeemed by the token endpoint. */
  authorizationCodes: AuthorizationCodes;
  /** The browser's single sign-on session at the provider (hosted pages' cookie). */
  providerSessions: ProviderSessions;
  /** Authorization requests waiting for a login or consent. */
  pendingAuthorizations: PendingAuthorizations;
  /** Upstream logins started from the hosted login page, on their way back to it. */
  federatedReturns: FederatedReturns;
  /** The grants of `POST /t/{tenant}/oauth2/token`. */
  tokenEndpoint: TokenEndpoint;
  /** Work after the response (ledger writes); Node drains it at shutdown. */
  background: BackgroundTasks;
  /** Mail sent after the response, with retries; present when there is a mailer. */
  mailOutbox?: MailOutbox;
  /** Verification of addresses and email changes. */
  emailFlows: EmailFlows;
  /** Forgotten passwords and password changes. */
  passwordFlows: PasswordFlows;
  /** The tenants' OAuth 2.0 / OpenID Connect clients. */
  clients: ClientService;
  /** What users let third-party clients have. */
  consents: ConsentService;
  /** WebAuthn credentials: registration, management, passwordless login. */
  passkeys: PasskeyService;
  /** TOTP authenticators and recovery codes (SecondFactors). */
  mfa: MfaService;
}

export interface AppEnv {
  Variables: {
    requestId: string;
    /** Correlation of this request (request id, trace) for logs, spans and outgoing calls. */
    scope: RequestScope;
    services: Services;
    tenant: Tenant;
    /** The verified access token of a bearer-protected route. */
    auth: AccessTokenClaims;
    /** An HTML page set its own Content-Security-Policy (security-headers.ts keeps it). */
    ownPolicy: boolean;
    /** The OAuth client that authenticated at introspection or revocation (absent for an API key). */
    oauthClient?: OAuthClient;
    /** The route compares If-Match's entity tags itself (preconditions.ts). */
    comparesEntityTags?: true;
    /** The matched route's pattern, once asked (route-pattern.ts). */
    routePattern?: string;
    /** The access token's user, once read (tokenUser): the step-up and the route read it once between them. */
    tokenUser?: Promise<UserRecord>;
  };
}
