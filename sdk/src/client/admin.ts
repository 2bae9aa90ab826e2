/**
 * Administration (caller: an API key with scope `admin` of the tenant, or the
 * bootstrap admin key), tenant creation (bootstrap admin key only).
 */
import { type Context, segment, tenantPath } from "./context.js";
import type { Done, Result } from "./result.js";
import type { Call, RequestOptions } from "./transport.js";
import type {
  CreateTenantInput,
  OAuthProvider,
  OAuthProviderInput,
  RateLimitOverrides,
  RateLimits,
  RedirectUris,
  RotatedSigningKeys,
  SamlConnection,
  SamlConnectionInput,
  Tenant,
} from "./types.js";

export function adminMethods(ctx: Context) {
  const send = <T>(call: Omit<Call, "bearer">, options: RequestOptions) =>
    ctx.transport.send<T>({ ...call, bearer: options.apiKey ?? ctx.apiKey }, options);

  return {
    /** `POST /v1/admin/tenants` (bootstrap admin key) → 201; 409 `tenant_exists`. */
    createTenant(input: CreateTenantInput, options: RequestOptions = {}): Promise<Result<Tenant>> {
      return send<Tenant>({ method: "POST", path: "/v1/admin/tenants", body: input }, options);
    },

    /** `PUT /v1/admin/redirect-uris` → the stored allowlist (exact URIs; their origins may use cookie mode). */
    setRedirectUris(redirectUris: string[], options: RequestOptions = {}): Promise<Result<RedirectUris>> {
      return send<RedirectUris>(
        { method: "PUT", path: tenantPath(ctx, "/v1/admin/redirect-uris"), body: { redirect_uris: redirectUris } },
        options,
      );
    },

    /** `PUT /v1/admin/oauth-providers/{provider}` → the stored configuration (never the secret). */
    putOAuthProvider(
      provider: string,
      input: OAuthProviderInput,
      options: RequestOptions = {},
    ): Promise<Result<OAuthProvider>> {
      const path = tenantPath(ctx, `/v1/admin/oauth-providers/${segment(provider)}`);
      return send<OAuthProvider>({ method: "PUT", path, body: input }, options);
    },

    /** `PUT /v1/admin/saml-connections/{connection}` → the stored connection with its SP certificate. */
    putSamlConnection(
      connection: string,
      input: SamlConnectionInput,
      options: RequestOptions = {},
    ): Promise<Result<SamlConnection>> {
      const path = tenantPath(ctx, `/v1/admin/saml-connections/${segment(connection)}`);
      return send<SamlConnection>({ method: "PUT", path, body: input }, options);
    },

    /** `POST /v1/admin/signing-keys/rotate` → the new active and next key ids. Never retried. */
    rotateSigningKeys(options: RequestOptions = {}): Promise<Result<RotatedSigningKeys>> {
      return send<RotatedSigningKeys>(
        { method: "POST", path: tenantPath(ctx, "/v1/admin/signing-keys/rotate") },
        options,
      );
    },

    /** `POST /v1/admin/users/{id}/revoke-sessions` → 204; 404 `not_found` for an unknown user. */
    revokeUserSessions(userId: string, options: RequestOptions = {}): Promise<Done> {
      const path = tenantPath(ctx, `/v1/admin/users/${segment(userId)}/revoke-sessions`);
      return send<undefined>({ method: "POST", path }, options);
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
  };
}
