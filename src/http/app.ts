import { OpenAPIHono } from "@hono/zod-openapi";
import { noopTracer } from "../core/ports/telemetry.js";
import type { AppDeps, AppEnv, Services } from "./context.js";
import { unmatchedHandler } from "./method-not-allowed.js";
import { closeAuditTrail } from "./middleware/audit.js";
import { limitBody } from "./middleware/body.js";
import { cors } from "./middleware/cors.js";
import { rateLimit } from "./middleware/rate-limit.js";
import { correlate } from "./middleware/request-id.js";
import { requestTelemetry } from "./middleware/request-telemetry.js";
import { responseHeaders, setResponseHeaders } from "./middleware/response-headers.js";
import { resolveTenant } from "./middleware/tenant.js";
import { tracing } from "./middleware/tracing.js";
import { errorHandler } from "./problem.js";
import { accountRoutes } from "./routes/accounts.js";
import { adminRoutes } from "./routes/admin.js";
import { adminApiKeyRoutes } from "./routes/admin-api-keys.js";
import { adminBrandingRoutes } from "./routes/admin-branding.js";
import { adminClientRoutes } from "./routes/admin-clients.js";
import { adminMfaPolicyRoutes } from "./routes/admin-mfa-policy.js";
import { adminOAuthProviderRoutes } from "./routes/admin-oauth-providers.js";
import { adminPasskeyRoutes } from "./routes/admin-passkeys.js";
import { adminSamlConnectionRoutes } from "./routes/admin-saml-connections.js";
import { adminSettingRoutes } from "./routes/admin-settings.js";
import { adminUserRoutes } from "./routes/admin-users.js";
import { apiKeyRoutes } from "./routes/api-keys.js";
import { auditEventRoutes } from "./routes/audit-events.js";
import { authorizeRoutes } from "./routes/authorize.js";
import { brandingLogoRoutes } from "./routes/branding-logo.js";
import { consentRoutes } from "./routes/consents.js";
import { discoveryRoutes } from "./routes/discovery.js";
import { mountDocs } from "./routes/docs.js";
import { mountDocsUi } from "./routes/docs-ui.js";
import { emailRoutes } from "./routes/email.js";
import { federationRoutes } from "./routes/federation.js";
import { healthRoutes } from "./routes/health.js";
import { homeRoutes } from "./routes/home.js";
import { hostedAssetRoutes } from "./routes/hosted-assets.js";
import { hostedConsentRoutes } from "./routes/hosted-consent.js";
import { hostedErrorRoutes } from "./routes/hosted-error.js";
import { hostedFederationRoutes } from "./routes/hosted-federation.js";
import { hostedLoginRoutes } from "./routes/hosted-login.js";
import { hostedLogoutRoutes } from "./routes/hosted-logout.js";
import { hostedMfaRoutes } from "./routes/hosted-mfa.js";
import { hostedMfaEnrollRoutes } from "./routes/hosted-mfa-enroll.js";
import { hostedMfaPasskeyRoutes } from "./routes/hosted-mfa-passkey.js";
import { describeHostedPages } from "./routes/hosted-pages-described.js";
import { hostedPasskeyRoutes } from "./routes/hosted-passkey.js";
import { hostedPasswordRoutes } from "./routes/hosted-password.js";
import { hostedSecurityRoutes } from "./routes/hosted-security.js";
import { hostedSecurityPasskeyRoutes } from "./routes/hosted-security-passkeys.js";
import { meRoutes } from "./routes/me.js";
import { metricsRoutes } from "./routes/metrics.js";
import { mfaRoutes } from "./routes/mfa.js";
import { mfaEnrollRoutes } from "./routes/mfa-enroll.js";
import { mfaVerifyRoutes } from "./routes/mfa-verify.js";
import { oauthTokenRoutes } from "./routes/oauth-token.js";
import { passkeyRoutes } from "./routes/passkeys.js";
import { passwordRoutes } from "./routes/password.js";
import { rateLimitRoutes } from "./routes/rate-limits.js";
import { samlRoutes } from "./routes/saml.js";
import { sessionRoutes } from "./routes/sessions.js";
import { signingKeyRoutes } from "./routes/signing-keys.js";
import { tenantRoutes } from "./routes/tenants.js";
import { tokenRoutes } from "./routes/tokens.js";
import { userInfoRoutes } from "./routes/userinfo.js";
import { buildServices } from "./services.js";

export type { AppDeps } from "./context.js";

/**
 * The one Hono app both runtimes serve. Entries choose the adapters; nothing
 * here knows which runtime it runs on.
 */
export function createApp(deps: AppDeps, services: Services = buildServices(deps)): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  app.onError(errorHandler(services.logger));
  app.notFound(unmatchedHandler(app));

  // DESIGN.md, middleware order (outermost first): correlation, logging, rate
  // limiting, tracing. Errors become responses at the layer that raised them
  // (Hono's compose + onError), so outer layers see, log and count them like
  // any response. Every layer costs each request its promises, so the
  // outermost concerns share one: correlation, the request's services, the
  // audit trail, the log line and request metrics, the response headers.
  // The request line goes to the entry's logger itself: it carries the request's ids already.
  const telemetry = requestTelemetry(deps.logger, services.metrics);
  app.use("*", async (c, next) => {
    const scope = correlate(c, deps.random);
    scope.audit = [];
    scope.arrivedAt = deps.clock.now().getTime();
    if (deps.clientPresence) scope.wanted = deps.clientPresence(c);
    c.set("services", services.forRequest(scope));
    const started = performance.now();
    await next();
    // The audit entries, then the log line and the request metrics, for everything the inner layers answer.
    const stored = closeAuditTrail(c, scope);
    if (stored) await stored;
    telemetry(c, performance.now() - started);
    // On every response, a 429 from the limiter or an error included. Where the runtime can put
    // them on its outgoing response itself (Node), the response's own win as they would here, and
    // no Headers object is built for them.
    const headers = responseHeaders(scope, deps.lifecycle?.draining === true);
    if (!deps.presetHeaders?.(c, headers)) setResponseHeaders(c, headers);
  });
  // RFC 8414 §3.1 puts the issuer's metadata outside /t/{tenant}: resolved and opened to browsers alike.
  for (const path of ["/t/:tenant/*", "/.well-known/oauth-authorization-server/t/:tenant"]) {
    app.use(path, resolveTenant());
    // CORS outside the limiter, so a browser app can read its 429s.
    app.use(path, cors());
  }
  app.use("*", rateLimit());
  // Without a tracer there is no span to open: the layer would only cost every request.
  if (services.tracer !== noopTracer) app.use("*", tracing(services.tracer));
  app.use("*", limitBody(deps.config.MAX_BODY_BYTES));

  app.route("/", homeRoutes(deps.docsUi !== undefined));
  app.route("/", healthRoutes);
  app.route("/", metricsRoutes);
  app.route("/", tenantRoutes);
  app.route("/", discoveryRoutes);
  app.route("/", accountRoutes);
  app.route("/", mfaVerifyRoutes);
  app.route("/", mfaEnrollRoutes);
  app.route("/", meRoutes);
  app.route("/", emailRoutes);
  app.route("/", passwordRoutes);
  app.route("/", signingKeyRoutes);
  app.route("/", sessionRoutes);
  app.route("/", adminRoutes);
  app.route("/", adminUserRoutes);
  app.route("/", auditEventRoutes);
  app.route("/", adminApiKeyRoutes);
  app.route("/", adminSettingRoutes);
  app.route("/", adminBrandingRoutes);
  app.route("/", brandingLogoRoutes);
  app.route("/", adminPasskeyRoutes);
  app.route("/", adminMfaPolicyRoutes);
  app.route("/", adminOAuthProviderRoutes);
  app.route("/", adminSamlConnectionRoutes);
  app.route("/", adminClientRoutes);
  app.route("/", consentRoutes);
  app.route("/", mfaRoutes);
  app.route("/", federationRoutes);
  app.route("/", apiKeyRoutes);
  app.route("/", passkeyRoutes);
  app.route("/", tokenRoutes);
  app.route("/", oauthTokenRoutes);
  app.route("/", userInfoRoutes);
  app.route("/", samlRoutes);
  app.route("/", rateLimitRoutes);
  // The hosted pages and the authorization endpoint: HTML (described by describeHostedPages).
  app.route("/", hostedAssetRoutes);
  app.route("/", authorizeRoutes);
  app.route("/", hostedLoginRoutes);
  app.route("/", hostedMfaRoutes);
  app.route("/", hostedMfaPasskeyRoutes);
  app.route("/", hostedMfaEnrollRoutes);
  app.route("/", hostedPasskeyRoutes);
  app.route("/", hostedFederationRoutes);
  app.route("/", hostedConsentRoutes);
  app.route("/", hostedPasswordRoutes);
  app.route("/", hostedSecurityRoutes);
  app.route("/", hostedSecurityPasskeyRoutes);
  app.route("/", hostedLogoutRoutes);
  app.route("/", hostedErrorRoutes);
  describeHostedPages(app);
  mountDocs(app, deps.config.PUBLIC_URL);
  if (deps.docsUi) mountDocsUi(app, deps.docsUi, deps.random);
  return app;
}
