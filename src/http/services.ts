import { AccountMail } from "../core/accounts/account-mail.js";
import { AccountTokens } from "../core/accounts/account-tokens.js";
import { UserVersions } from "../core/accounts/user-versions.js";
import { BackgroundTasks } from "../core/background.js";
import { BrandingLogos } from "../core/branding-logo.js";
import { discoveryCache } from "../core/federation/upstream.js";
import { errorFields } from "../core/logging/error-fields.js";
import { MailOutbox } from "../core/mail/outbox.js";
import { BrowserMfaChallenges } from "../core/mfa/browser-challenges.js";
import { MfaChallenges } from "../core/mfa/challenges.js";
import { egressPolicyFor } from "../core/net/egress.js";
import { PendingAuthorizations } from "../core/oidc/authorization-requests.js";
import { FederatedReturns } from "../core/oidc/federated-returns.js";
import { Cursors } from "../core/pagination/cursor.js";
import type { AuditEventRecord } from "../core/ports/database.js";
import { RateLimiter } from "../core/rate-limit/limiter.js";
import { SpMetadataCache } from "../core/saml/sp-metadata-cache.js";
import { AccessTokenBlocklist } from "../core/sessions/blocklist.js";
import { RefreshTokens } from "../core/sessions/refresh-token.js";
import { RotationLedger } from "../core/sessions/rotation-ledger.js";
import { TenantService } from "../core/tenants.js";
import { auditTap } from "./audit-tap.js";
import type { AppDeps, Services } from "./context.js";
import { ServiceGraph } from "./service-graph.js";
import { withTelemetry } from "./telemetry.js";
import { tracedFetch } from "./traced-fetch.js";

/**
 * Wires the core services once per process or isolate: the returned graph
 * logs as the process (jobs), and `forRequest` gives each request its own
 * over the same state.
 */
export function buildServices(appDeps: AppDeps): Services {
  const { config } = appDeps;
  // Spans and latency histograms wrap the ports when telemetry is configured.
  const deps = withTelemetry(appDeps);
  const background = new BackgroundTasks();
  // Security events are also audit entries; those raised outside a request (jobs) are written at once.
  const writeAudit = (entry: AuditEventRecord) =>
    background.track(
      deps.db.auditEvents
        .append([entry])
        .catch((error: unknown) =>
          deps.logger.error("audit_write_failed", { action: entry.action, ...errorFields(error) }),
        ),
    );
  const processLogger = auditTap(deps.logger, deps, undefined, writeAudit);
  const processDeps = { ...deps, logger: processLogger };
  const limiter = new RateLimiter(processDeps);
  const mailOutbox = deps.mailer && new MailOutbox({ ...processDeps, mailer: deps.mailer });
  const egress = deps.egressPolicy ?? egressPolicyFor(config.APP_ENV);
  const tenants = new TenantService(deps.db, deps.clock, deps.random);
  // Logos are fetched like providers' documents: the runtime's guarded fetch, the egress policy, bounds.
  const runtimeFetch = deps.upstreamFetch ?? ((input, init) => fetch(input, init));
  const brandingLogos = new BrandingLogos({ ...deps, tenants, egress, fetch: tracedFetch(runtimeFetch, deps.tracer) });
  return new ServiceGraph({
    deps,
    processLogger,
    writeAudit,
    depsTemplates: {},
    keyRings: new Map(),
    // Requests of a Workers isolate cannot share I/O: there each rotation is written on its own.
    ledger: new RotationLedger(deps.db, !deps.waitUntil),
    samlMetadata: new SpMetadataCache(),
    discovery: discoveryCache(),
    egress,
    tenants,
    brandingLogos,
    limiter,
    blocklist: new AccessTokenBlocklist(processDeps),
    background,
    mailOutbox,
    refreshTokens: new RefreshTokens(deps.sealer, deps.random),
    cursors: new Cursors(deps.sealer),
    userVersions: new UserVersions(deps),
    accountTokens: new AccountTokens(deps),
    accountMail: new AccountMail({ queue: mailOutbox, limiter, publicUrl: config.PUBLIC_URL }),
    mfaChallenges: new MfaChallenges(deps),
    browserMfaChallenges: new BrowserMfaChallenges(deps),
    pendingAuthorizations: new PendingAuthorizations(deps),
    federatedReturns: new FederatedReturns(deps),
  });
}
