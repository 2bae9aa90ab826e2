/** Routes without credentials: discovery, keys, probes, the OpenAPI document (and metrics, maybe with a token). */
import { type Context, tenantPath } from "./context.js";
import type { Health, Jwks, OpenIdConfiguration, Readiness } from "./public-types.js";
import type { Result } from "./result.js";
import type { RequestOptions } from "./transport.js";

export function publicMethods(ctx: Context) {
  const { transport } = ctx;
  return {
    /** `GET /.well-known/openid-configuration` → the tenant's issuer metadata. */
    discovery(options: RequestOptions = {}): Promise<Result<OpenIdConfiguration>> {
      return transport.send<OpenIdConfiguration>(
        { method: "GET", path: tenantPath(ctx, "/.well-known/openid-configuration") },
        options,
      );
    },

    /** `GET /.well-known/jwks.json` → the tenant's public signing keys. */
    jwks(options: RequestOptions = {}): Promise<Result<Jwks>> {
      return transport.send<Jwks>({ method: "GET", path: tenantPath(ctx, "/.well-known/jwks.json") }, options);
    },

    /** `GET /healthz` → 200 while the process serves. */
    health(options: RequestOptions = {}): Promise<Result<Health>> {
      return transport.send<Health>({ method: "GET", path: "/healthz" }, options);
    },

    /**
     * `GET /readyz` → 200 when Postgres and Redis answer; 503 `not_ready`
     * (`problem.checks` names which). Not retried unless `options.retries` says so.
     */
    ready(options: RequestOptions = {}): Promise<Result<Readiness>> {
      return transport.send<Readiness>({ method: "GET", path: "/readyz" }, { retries: 0, ...options });
    },

    /** `GET /metrics` → Prometheus text (Node runtime); `token` is the service's METRICS_TOKEN when it has one. */
    metrics(token?: string, options: RequestOptions = {}): Promise<Result<string>> {
      return transport.send<string>({ method: "GET", path: "/metrics", bearer: token, accept: "text" }, options);
    },

    /** `GET /openapi.json` → the OpenAPI 3.1 document of the API. */
    openapi(options: RequestOptions = {}): Promise<Result<Record<string, unknown>>> {
      return transport.send<Record<string, unknown>>({ method: "GET", path: "/openapi.json" }, options);
    },
  };
}
