/** The caller's consents to OAuth clients (Bearer: the user's access token). */
import { type Context, segment, tenantPath } from "./context.js";
import type { Done, Result } from "./result.js";
import type { RequestOptions } from "./transport.js";
import type { Consents } from "./types.js";

export function consentMethods(ctx: Context) {
  const { transport, session } = ctx;

  return {
    /** `GET /v1/consents` (Bearer) → the clients the user consented to, most recently granted first. */
    listConsents(options: RequestOptions = {}): Promise<Result<Consents>> {
      return session.authorized(
        (bearer) => transport.send<Consents>({ method: "GET", path: tenantPath(ctx, "/v1/consents"), bearer }, options),
        options,
      );
    },

    /**
     * `DELETE /v1/consents/{client_id}` (Bearer) → 204; the client asks for consent again, and every session of
     * the user at that client ends at once. 404 `not_found` without a consent.
     */
    revokeConsent(clientId: string, options: RequestOptions = {}): Promise<Done> {
      const path = tenantPath(ctx, `/v1/consents/${segment(clientId)}`);
      return session.authorized(
        (bearer) => transport.send<undefined>({ method: "DELETE", path, bearer }, options),
        options,
      );
    },
  };
}
