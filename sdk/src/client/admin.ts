/**
 * Administration of a tenant's settings (caller: an API key with scope
 * `admin` of the tenant, or the bootstrap admin key), tenants (bootstrap
 * admin key only). Everything written can be read back; secrets never are.
 */
import type {
  Branding,
  CreateTenantInput,
  MfaPolicy,
  MfaPolicyInput,
  OAuthProvider,
  OAuthProviderDetail,
  OAuthProviderInput,
  OAuthProviderPage,
  RateLimitOverrides,
  RateLimits,
  RedirectUris,
  RotatedSigningKeys,
  SamlConnection,
  SamlConnectionInput,
  SamlConnectionPage,
  SigningKeys,
  Tenant,
  TenantPage,
} from "./admin-types.js";
import { adminSender, type Context, queryOf, segment, tenantPath } from "./context.js";
import type { Done, Result } from "./result.js";
import type { RequestOptions } from "./transport.js";
import type { PageQuery } from "./types.js";

export function adminMethods(ctx: Context) {
  const send = adminSender(ctx);
  const providerPath = (provider: string) => tenantPath(ctx, `/v1/admin/oauth-providers/${segment(provider)}`);
  const connectionPath = (connection: string) => tenantPath(ctx, `/v1/admin/saml-connections/${segment(connection)}`);

  return {
    /** `POST /v1/admin/tenants` (bootstrap admin key) → 201; 409 `tenant_exists`. */
    createTenant(input: CreateTenantInput, options: RequestOptions = {}): Promise<Result<Tenant>> {
      return send<Tenant>({ method: "POST", path: "/v1/admin/tenants", body: input }, options);
    },

    /** `GET /v1/admin/tenants` (bootstrap admin key) → a page of tenants by slug; 400 for a foreign cursor. */
    listTenants(query: PageQuery = {}, options: RequestOptions = {}): Promise<Result<TenantPage>> {
      return send<TenantPage>({ method: "GET", path: "/v1/admin/tenants", query: queryOf(query) }, options);
    },

    /** `GET /v1/admin/tenants/{slug}` (bootstrap admin key) → the tenant and its settings; 404 `tenant_not_found`. */
    getTenant(slug: string, options: RequestOptions = {}): Promise<Result<Tenant>> {
      return send<Tenant>({ method: "GET", path: `/v1/admin/tenants/${segment(slug)}` }, options);
    },

    /** `GET /v1/admin/redirect-uris` → the stored allowlist. */
    getRedirectUris(options: RequestOptions = {}): Promise<Result<RedirectUris>> {
      return send<RedirectUris>({ method: "GET", path: tenantPath(ctx, "/v1/admin/redirect-uris") }, options);
    },

    /** `PUT /v1/admin/redirect-uris` → the stored allowlist (exact URIs; their origins may use cookie mode). */
    setRedirectUris(redirectUris: string[], options: RequestOptions = {}): Promise<Result<RedirectUris>> {
      return send<RedirectUris>(
        { method: "PUT", path: tenantPath(ctx, "/v1/admin/redirect-uris"), body: { redirect_uris: redirectUris } },
        options,
      );
    },

    /** `GET /v1/admin/oauth-providers` → a page of providers by name (never a secret). */
    listOAuthProviders(query: PageQuery = {}, options: RequestOptions = {}): Promise<Result<OAuthProviderPage>> {
      const path = tenantPath(ctx, "/v1/admin/oauth-providers");
      return send<OAuthProviderPage>({ method: "GET", path, query: queryOf(query) }, options);
    },

    /** `GET /v1/admin/oauth-providers/{provider}` → its configuration and `last_error`; 404 `not_found`. */
    getOAuthProvider(provider: string, options: RequestOptions = {}): Promise<Result<OAuthProviderDetail>> {
      return send<OAuthProviderDetail>({ method: "GET", path: providerPath(provider) }, options);
    },

    /** `PUT /v1/admin/oauth-providers/{provider}` → the stored configuration (never the secret). */
    putOAuthProvider(
      provider: string,
      input: OAuthProviderInput,
      options: RequestOptions = {},
    ): Promise<Result<OAuthProvider>> {
      return send<OAuthProvider>({ method: "PUT", path: providerPath(provider), body: input }, options);
    },

    /** `DELETE /v1/admin/oauth-providers/{provider}` → 204; logins through it stop at once. 404 `not_found`. */
    deleteOAuthProvider(provider: string, options: RequestOptions = {}): Promise<Done> {
      return send<undefined>({ method: "DELETE", path: providerPath(provider) }, options);
    },

    /** `GET /v1/admin/saml-connections` → a page of connections by name (never the SP private key). */
    listSamlConnections(query: PageQuery = {}, options: RequestOptions = {}): Promise<Result<SamlConnectionPage>> {
      const path = tenantPath(ctx, "/v1/admin/saml-connections");
      return send<SamlConnectionPage>({ method: "GET", path, query: queryOf(query) }, options);
    },

    /** `GET /v1/admin/saml-connections/{connection}` → the stored connection; 404 `not_found`. */
    getSamlConnection(connection: string, options: RequestOptions = {}): Promise<Result<SamlConnection>> {
      return send<SamlConnection>({ method: "GET", path: connectionPath(connection) }, options);
    },

    /** `PUT /v1/admin/saml-connections/{connection}` → the stored connection with its SP certificate. */
    putSamlConnection(
      connection: string,
      input: SamlConnectionInput,
      options: RequestOptions = {},
    ): Promise<Result<SamlConnection>> {
      return send<SamlConnection>({ method: "PUT", path: connectionPath(connection), body: input }, options);
    },

    /** `DELETE /v1/admin/saml-connections/{connection}` → 204; its logins and metadata stop at once. */
    deleteSamlConnection(connection: string, options: RequestOptions = {}): Promise<Done> {
      return send<undefined>({ method: "DELETE", path: connectionPath(connection) }, options);
    },

    /** `GET /v1/admin/signing-keys` → next, active and still-published retired keys (no key material). */
    listSigningKeys(options: RequestOptions = {}): Promise<Result<SigningKeys>> {
      return send<SigningKeys>({ method: "GET", path: tenantPath(ctx, "/v1/admin/signing-keys") }, options);
    },

    /** `POST /v1/admin/signing-keys/rotate` → the new active and next key ids. Never retried. */
    rotateSigningKeys(options: RequestOptions = {}): Promise<Result<RotatedSigningKeys>> {
      return send<RotatedSigningKeys>(
        { method: "POST", path: tenantPath(ctx, "/v1/admin/signing-keys/rotate") },
        options,
      );
    },

    /** `GET /v1/admin/rate-limits` → every limit, overrides applied. */
    getRateLimits(options: RequestOptions = {}): Promise<Result<RateLimits>> {
      return send<RateLimits>({ method: "GET", path: tenantPath(ctx, "/v1/admin/rate-limits") }, options);
    },

    /** `PUT /v1/admin/rate-limits` → every limit; limits not named return to their defaults. */
    setRateLimits(overrides: RateLimitOverrides, options: RequestOptions = {}): Promise<Result<RateLimits>> {
      return send<RateLimits>(
        { method: "PUT", path: tenantPath(ctx, "/v1/admin/rate-limits"), body: overrides },
        options,
      );
    },

    /** `GET /v1/admin/mfa-policy` → who must use a second factor at login. */
    getMfaPolicy(options: RequestOptions = {}): Promise<Result<MfaPolicy>> {
      return send<MfaPolicy>({ method: "GET", path: tenantPath(ctx, "/v1/admin/mfa-policy") }, options);
    },

    /**
     * `PUT /v1/admin/mfa-policy` → the stored settings; a policy name alone keeps `federated_logins` at its
     * default `second_step`. 400 `validation_failed` for an unknown value.
     */
    setMfaPolicy(
      input: MfaPolicy["policy"] | MfaPolicyInput,
      options: RequestOptions = {},
    ): Promise<Result<MfaPolicy>> {
      const body = typeof input === "string" ? { policy: input } : input;
      return send<MfaPolicy>({ method: "PUT", path: tenantPath(ctx, "/v1/admin/mfa-policy"), body }, options);
    },

    /** `GET /v1/admin/branding` → the logo, accent colour and language of the tenant's mails and pages. */
    getBranding(options: RequestOptions = {}): Promise<Result<Branding>> {
      return send<Branding>({ method: "GET", path: tenantPath(ctx, "/v1/admin/branding") }, options);
    },

    /** `PUT /v1/admin/branding` → the stored branding; every field is required (null clears logo or colour). */
    setBranding(branding: Branding, options: RequestOptions = {}): Promise<Result<Branding>> {
      const body = { logo_url: branding.logo_url, accent_color: branding.accent_color, language: branding.language };
      return send<Branding>({ method: "PUT", path: tenantPath(ctx, "/v1/admin/branding"), body }, options);
    },
  };
}
