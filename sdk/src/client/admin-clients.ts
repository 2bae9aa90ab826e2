/**
 * Administration of a tenant's OAuth 2.0 / OpenID Connect clients (caller:
 * an API key with scope `admin` of the tenant, or the bootstrap admin key).
 * A confidential client's secret is in the answer that creates it, rotates it or makes the client confidential,
 * and in no other.
 */
import type {
  OAuthClient,
  OAuthClientChanges,
  OAuthClientInput,
  OAuthClients,
  OAuthClientWithSecret,
  RotateClientSecretInput,
} from "./admin-client-types.js";
import { adminSender, type Context, pageOf, segment, tenantPath } from "./context.js";
import type { Done, Result } from "./result.js";
import type { RequestOptions } from "./transport.js";
import type { PageQuery } from "./types.js";

export function adminClientMethods(ctx: Context) {
  const send = adminSender(ctx);
  const clientPath = (clientId: string, rest = "") => tenantPath(ctx, `/v1/admin/clients/${segment(clientId)}${rest}`);

  return {
    /**
     * `POST /v1/admin/clients` → 201; a confidential client's `client_secret` is in this answer only.
     * 400 `validation_failed` for unusable redirect URIs or grants. Never retried.
     */
    createClient(input: OAuthClientInput, options: RequestOptions = {}): Promise<Result<OAuthClientWithSecret>> {
      return send<OAuthClientWithSecret>(
        { method: "POST", path: tenantPath(ctx, "/v1/admin/clients"), body: input },
        options,
      );
    },

    /**
     * `GET /v1/admin/clients[?limit=&cursor=]` → a page of the tenant's clients (100 unless `limit` says
     * otherwise), newest first, and `next_cursor`; `pages()` walks them all. 400 for a foreign cursor.
     */
    listClients(page: PageQuery & RequestOptions = {}): Promise<Result<OAuthClients>> {
      const [query, options] = pageOf(page);
      return send<OAuthClients>({ method: "GET", path: tenantPath(ctx, "/v1/admin/clients"), query }, options);
    },

    /** `GET /v1/admin/clients/{client_id}` → the client; 404 `not_found`. */
    getClient(clientId: string, options: RequestOptions = {}): Promise<Result<OAuthClient>> {
      return send<OAuthClient>({ method: "GET", path: clientPath(clientId) }, options);
    },

    /**
     * `PATCH /v1/admin/clients/{client_id}` → the changed client; the result is checked as a new client. A client
     * made confidential has its new `client_secret` in this answer only; one made public loses its secret and its
     * sessions. Never retried.
     */
    updateClient(
      clientId: string,
      changes: OAuthClientChanges,
      options: RequestOptions = {},
    ): Promise<Result<OAuthClientWithSecret>> {
      return send<OAuthClientWithSecret>({ method: "PATCH", path: clientPath(clientId), body: changes }, options);
    },

    /** `DELETE /v1/admin/clients/{client_id}` → 204; every session issued to the client ends at once. */
    deleteClient(clientId: string, options: RequestOptions = {}): Promise<Done> {
      return send<undefined>({ method: "DELETE", path: clientPath(clientId) }, options);
    },

    /**
     * `POST /v1/admin/clients/{client_id}/rotate-secret` → the client with its new `client_secret` (this
     * answer only); the replaced secret keeps working for `overlap_seconds`. 400 `public_client`. Never retried.
     */
    rotateClientSecret(
      clientId: string,
      input: RotateClientSecretInput = {},
      options: RequestOptions = {},
    ): Promise<Result<Required<OAuthClientWithSecret>>> {
      // Only the known field reaches the body: request options passed here by mistake never do.
      const body = input.overlap_seconds === undefined ? {} : { overlap_seconds: input.overlap_seconds };
      return send<Required<OAuthClientWithSecret>>(
        { method: "POST", path: clientPath(clientId, "/rotate-secret"), body },
        options,
      );
    },
  };
}
