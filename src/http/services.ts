import { samlifyProtocol } from "../adapters/saml/samlify.js";
import { AccountMail } from "../core/accounts/account-mail.js";
import { AccountTokens } from "../core/accounts/account-tokens.js";
import { AccountService } from "../core/accounts/accounts.js";
import { EmailFlows } from "../core/accounts/email-flows.js";
import { PasswordFlows } from "../core/accounts/password-flows.js";
import { UserAdministration } from "../core/accounts/user-admin.js";
import { UserVersions } from "../core/accounts/user-versions.js";
import { ApiKeyService } from "../core/api-keys/api-keys.js";
import { BackgroundTasks } from "../core/background.js";
import { FederatedLogins } from "../core/federation/federated-logins.js";
import { FederationService } from "../core/federation/federation.js";
import { UpstreamClient } from "../core/federation/upstream.js";
import { errorFields } from "../core/logging/error-fields.js";
import { MailOutbox } from "../core/mail/outbox.js";
import { BrowserMfaChallenges } from "../core/mfa/browser-challenges.js";
import { MfaChallenges } from "../core/mfa/challenges.js";
import { MfaService } from "../core/mfa/mfa.js";
import { MfaLogins } from "../core/mfa/mfa-login.js";
import { PasskeyService } from "../core/mfa/passkeys.js";
import { StepUp } from "../core/mfa/step-up.js";
import { egressPolicyFor } from "../core/net/egress.js";
import { AuthorizationCodes } from "../core/oidc/authorization-codes.js";
import { PendingAuthorizations } from "../core/oidc/authorization-requests.js";
import { ClientService } from "../core/oidc/clients.js";
import { ConsentService } from "../core/oidc/consents.js";
import { FederatedReturns } from "../core/oidc/federated-returns.js";
import { IdTokens } from "../core/oidc/id-tokens.js";
import { ProviderSessions } from "../core/oidc/provider-sessions.js";
import { TokenEndpoint } from "../core/oidc/token-endpoint.js";
import { RateLimiter } from "../core/rate-limit/limiter.js";
import { LoginThrottle } from "../core/rate-limit/login-throttle.js";
import { SamlService } from "../core/saml/saml.js";
import { AccessTokenBlocklist } from "../core/sessions/blocklist.js";
import { RefreshTokens } from "../core/sessions/refresh-token.js";
import { SessionService } from "../core/sessions/sessions.js";
import { KeyRingService } from "../core/signing/key-ring.js";
import { TenantService } from "../core/tenants.js";
import { AccessTokens, CLOCK_SKEW_SECONDS } from "../core/tokens/access-token.js";
import { TokenIntrospection } from "../core/tokens/introspection.js";
import { auditTap } from "./audit-tap.js";
import type { AppDeps, Services } from "./context.js";
import { correlatedFetch, withRequestScope } from "./request-scope.js";
import { withTelemetry } from "./telemetry.js";
import { tracedFetch } from "./traced-fetch.js";

/** Wires the core services once per process or isolate. */
export function buildServices(appDeps: AppDeps): Services {
  const { config } = appDeps;
  // Every log line written while serving a request carries its request and trace ids;
  // spans and latency histograms wrap the ports when telemetry is configured.
  const telemetered = withTelemetry(appDeps);
  const background = new BackgroundTasks();
  // Security events are also audit entries; those raised outside a request (jobs) are written at once.
  const logger = auditTap(withRequestScope(appDeps.logger), appDeps, (event) =>
    background.track(
      telemetered.db.auditEvents
        .append([event])
        .catch((error: unknown) =>
          appDeps.logger.error("audit_write_failed", { action: event.action, ...errorFields(error) }),
        ),
    ),
  );
  const deps = { ...telemetered, logger };
  const keyRing = new KeyRingService(deps.db, deps, {
    cacheMs: config.SIGNING_KEY_CACHE_TTL,
    jwksMaxAgeMs: config.JWKS_MAX_AGE,
    rotationIntervalMs: config.SIGNING_KEY_ROTATION_INTERVAL,
    clockSkewMs: CLOCK_SKEW_SECONDS * 1000,
  });
  const tokens = new AccessTokens(keyRing, deps, config.PUBLIC_URL);
  const throttle = new LoginThrottle(deps);
  const accounts = new AccountService({ ...deps, throttle });
  const mfa = new MfaService({ ...deps, throttle, accounts });
  const passkeys = new PasskeyService({ ...deps, publicUrl: config.PUBLIC_URL });
  const logins = new FederatedLogins({ ...deps, accounts }, deps.logger);
  const userVersions = new UserVersions(deps);
  const sessions = new SessionService({
    ...deps,
    tokens,
    userVersions,
    refreshTokens: new RefreshTokens(deps.sealer, deps.random),
    graceMs: config.REFRESH_GRACE_PERIOD,
    // Requests of a Workers isolate cannot share I/O: there each rotation is written on its own.
    groupCommit: !deps.waitUntil,
  });
  const blocklist = new AccessTokenBlocklist(deps);
  const apiKeys = new ApiKeyService({ ...deps, cacheTtlMs: config.API_KEY_CACHE_TTL });
  const egress = deps.egressPolicy ?? egressPolicyFor(config.APP_ENV);
  const limiter = new RateLimiter(deps);
  const mailOutbox = deps.mailer && new MailOutbox({ ...deps, mailer: deps.mailer });
  const accountTokens = new AccountTokens(deps);
  const authorizationCodes = new AuthorizationCodes({ ...deps, sessions });
  const accountMail = new AccountMail({ queue: mailOutbox, limiter, publicUrl: config.PUBLIC_URL });
  return {
    ...deps,
    clients: new ClientService({ ...deps, sessions }),
    consents: new ConsentService({ ...deps, sessions }),
    passkeys,
    mfa,
    mfaLogins: new MfaLogins({ ...deps, challenges: new MfaChallenges(deps), factors: mfa, accounts, passkeys }),
    browserMfaChallenges: new BrowserMfaChallenges(deps),
    stepUp: new StepUp({ ...deps, factors: mfa }),
    tenants: new TenantService(deps.db, deps.clock, deps.random),
    limiter,
    keyRing,
    tokens,
    accounts,
    userAdmin: new UserAdministration({ ...deps, accounts, sessions, apiKeys, userVersions }),
    federation: new FederationService({
      ...deps,
      logins,
      egress,
      upstream: new UpstreamClient(
        tracedFetch(correlatedFetch(deps.upstreamFetch ?? ((input, init) => fetch(input, init))), deps.tracer),
        egress,
        () => deps.clock.now().getTime(),
      ),
    }),
    sessions,
    logins,
    // samlify runs on both runtimes (workerd with nodejs_compat), so one adapter serves both entries.
    saml: new SamlService({ ...deps, logins, saml: deps.samlProtocol ?? samlifyProtocol }),
    blocklist,
    introspection: new TokenIntrospection({ tokens, blocklist, sessions }),
    authorizationCodes,
    tokenEndpoint: new TokenEndpoint({
      ...deps,
      codes: authorizationCodes,
      sessions,
      tokens,
      idTokens: new IdTokens(keyRing, tokens, deps),
    }),
    providerSessions: new ProviderSessions({ ...deps, sessions, accounts }),
    pendingAuthorizations: new PendingAuthorizations(deps),
    federatedReturns: new FederatedReturns(deps),
    apiKeys,
    background,
    mailOutbox,
    emailFlows: new EmailFlows({ ...deps, accounts, tokens: accountTokens, mail: accountMail, userVersions }),
    passwordFlows: new PasswordFlows({
      ...deps,
      accounts,
      tokens: accountTokens,
      mail: accountMail,
      sessions,
      apiKeys,
    }),
  };
}
