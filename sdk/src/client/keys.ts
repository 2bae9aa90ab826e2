/** API keys (the owner's access token) and token management for services (an API key). */
import { type Context, pageOf, segment, tenantPath } from "./context.js";
import type {
  ApiKeyPage,
  ApiKeyVerification,
  CreateApiKeyInput,
  CreatedApiKey,
  Introspection,
  TokenInput,
} from "./key-types.js";
import type { Done, Result } from "./result.js";
import type { RequestOptions } from "./transport.js";
import type { PageQuery } from "./types.js";

export function keyMethods(ctx: Context) {
  const { transport, session } = ctx;
  const credential = (options: RequestOptions) => options.apiKey ?? ctx.apiKey;

  return {
    apiKeys: {
      /**
       * `POST /v1/api-keys` (Bearer) → 201 with the key (`sk_...`, in this answer only);
       * 403 `forbidden` for scopes the owner may not grant.
       */
      create(input: CreateApiKeyInput, options: RequestOptions = {}): Promise<Result<CreatedApiKey>> {
        return session.authorized(
          (bearer) =>
            transport.send<CreatedApiKey>(
              { method: "POST", path: tenantPath(ctx, "/v1/api-keys"), bearer, body: input },
              options,
            ),
          options,
        );
      },

      /**
       * `GET /v1/api-keys[?limit=&cursor=]` (Bearer) → a page of the caller's keys (100 unless `limit` says
       * otherwise), newest first, never the keys themselves, and `next_cursor`; `pages()` walks them all.
       */
      list(page: PageQuery & RequestOptions = {}): Promise<Result<ApiKeyPage>> {
        const [query, options] = pageOf(page);
        return session.authorized(
          (bearer) =>
            transport.send<ApiKeyPage>(
              { method: "GET", path: tenantPath(ctx, "/v1/api-keys"), query, bearer },
              options,
            ),
          options,
        );
      },

      /** `DELETE /v1/api-keys/{id}` (Bearer) → 204; the key stops working at once. */
      revoke(id: string, options: RequestOptions = {}): Promise<Done> {
        const path = tenantPath(ctx, `/v1/api-keys/${segment(id)}`);
        return session.authorized(
          (bearer) => transport.send<undefined>({ method: "DELETE", path, bearer }, options),
          options,
        );
      },

      /** `POST /v1/api-keys/verify` (caller: API key with scope `api_keys:verify`) → the verdict. */
      verify(key: string, options: RequestOptions = {}): Promise<Result<ApiKeyVerification>> {
        return transport.send<ApiKeyVerification>(
          { method: "POST", path: tenantPath(ctx, "/v1/api-keys/verify"), bearer: credential(options), body: { key } },
          options,
        );
      },
    },

    /** `POST /v1/introspect` (RFC 7662; caller: API key with scope `tokens:introspect`). */
    introspect(input: TokenInput, options: RequestOptions = {}): Promise<Result<Introspection>> {
      return transport.send<Introspection>(
        { method: "POST", path: tenantPath(ctx, "/v1/introspect"), bearer: credential(options), body: input },
        options,
      );
    },

    /** `POST /v1/revoke` (RFC 7009; caller: API key with scope `tokens:introspect`) → 200 for any token. */
    revoke(input: TokenInput, options: RequestOptions = {}): Promise<Done> {
      return transport.send<undefined>(
        { method: "POST", path: tenantPath(ctx, "/v1/revoke"), bearer: credential(options), body: input },
        options,
      );
    },
  };
}
