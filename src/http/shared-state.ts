import type { AccountMail } from "../core/accounts/account-mail.js";
import type { AccountTokens } from "../core/accounts/account-tokens.js";
import type { UserVersions } from "../core/accounts/user-versions.js";
import type { BackgroundTasks } from "../core/background.js";
import type { BrandingLogos } from "../core/branding-logo.js";
import type { DiscoveryCache } from "../core/federation/upstream.js";
import type { MailOutbox } from "../core/mail/outbox.js";
import type { BrowserMfaChallenges } from "../core/mfa/browser-challenges.js";
import type { MfaChallenges } from "../core/mfa/challenges.js";
import type { EgressPolicy } from "../core/net/egress.js";
import type { PendingAuthorizations } from "../core/oidc/authorization-requests.js";
import type { FederatedReturns } from "../core/oidc/federated-returns.js";
import type { Cursors } from "../core/pagination/cursor.js";
import type { AuditEventRecord } from "../core/ports/database.js";
import type { Logger } from "../core/ports/logger.js";
import type { Metrics, Tracer } from "../core/ports/telemetry.js";
import type { RateLimiter } from "../core/rate-limit/limiter.js";
import type { SpMetadataCache } from "../core/saml/sp-metadata-cache.js";
import type { AccessTokenBlocklist } from "../core/sessions/blocklist.js";
import type { RefreshTokens } from "../core/sessions/refresh-token.js";
import type { RotationLedger } from "../core/sessions/rotation-ledger.js";
import type { KeyRingCache } from "../core/signing/key-ring.js";
import type { TenantService } from "../core/tenants.js";
import type { AppDeps } from "./context.js";
import type { Built } from "./service-graph.js";

/**
 * What every request's services share, built once per process or isolate:
 * the ports (with telemetry), caches, the ledger's writer, background work,
 * and the services that hold state and write only lines about the process's
 * own health (the limiter's breaker, the blocklist's refills), or none.
 */
export interface SharedState {
  deps: AppDeps & { tracer: Tracer; metrics: Metrics };
  /** The process's logger for the services (jobs, the CLI): its audit entries are written at once, acted by the system. */
  processLogger: Logger;
  /** Writes an audit entry at once (one raised outside a request). */
  writeAudit: (entry: AuditEventRecord) => void;
  /** Each request-built service's deps as the first graph to build it laid them out (see depsWith). */
  depsTemplates: Partial<Record<keyof Built, object>>;
  keyRings: KeyRingCache;
  ledger: RotationLedger;
  samlMetadata: SpMetadataCache;
  discovery: DiscoveryCache;
  egress: EgressPolicy;
  tenants: TenantService;
  brandingLogos: BrandingLogos;
  limiter: RateLimiter;
  blocklist: AccessTokenBlocklist;
  background: BackgroundTasks;
  mailOutbox?: MailOutbox;
  refreshTokens: RefreshTokens;
  /** The admin listings' signed `next_cursor`s. */
  cursors: Cursors;
  userVersions: UserVersions;
  accountTokens: AccountTokens;
  accountMail: AccountMail;
  mfaChallenges: MfaChallenges;
  browserMfaChallenges: BrowserMfaChallenges;
  pendingAuthorizations: PendingAuthorizations;
  federatedReturns: FederatedReturns;
}

/** The shared state as the services' readers see it: the ports, settings and shared services, the same for every graph. */
export class SharedView {
  constructor(protected readonly shared: SharedState) {}

  // The ports and settings, as the entry handed them (with telemetry).
  get config() {
    return this.shared.deps.config;
  }
  get db() {
    return this.shared.deps.db;
  }
  get kv() {
    return this.shared.deps.kv;
  }
  get clock() {
    return this.shared.deps.clock;
  }
  get random() {
    return this.shared.deps.random;
  }
  get sealer() {
    return this.shared.deps.sealer;
  }
  get passwords() {
    return this.shared.deps.passwords;
  }
  get mailer() {
    return this.shared.deps.mailer;
  }
  get samlProtocol() {
    return this.shared.deps.samlProtocol;
  }
  get upstreamFetch() {
    return this.shared.deps.upstreamFetch;
  }
  get egressPolicy() {
    return this.shared.deps.egressPolicy;
  }
  get clientIp() {
    return this.shared.deps.clientIp;
  }
  get tracer() {
    return this.shared.deps.tracer;
  }
  get metrics() {
    return this.shared.deps.metrics;
  }
  get metricsExposition() {
    return this.shared.deps.metricsExposition;
  }
  get docsUi() {
    return this.shared.deps.docsUi;
  }
  get waitUntil() {
    return this.shared.deps.waitUntil;
  }
  get presetHeaders() {
    return this.shared.deps.presetHeaders;
  }
  get lifecycle() {
    return this.shared.deps.lifecycle;
  }

  // Shared by every request.
  get tenants() {
    return this.shared.tenants;
  }
  get brandingLogos() {
    return this.shared.brandingLogos;
  }
  get limiter() {
    return this.shared.limiter;
  }
  get blocklist() {
    return this.shared.blocklist;
  }
  get cursors() {
    return this.shared.cursors;
  }
  get background() {
    return this.shared.background;
  }
  get mailOutbox() {
    return this.shared.mailOutbox;
  }
  get browserMfaChallenges() {
    return this.shared.browserMfaChallenges;
  }
  get pendingAuthorizations() {
    return this.shared.pendingAuthorizations;
  }
  get federatedReturns() {
    return this.shared.federatedReturns;
  }
}
