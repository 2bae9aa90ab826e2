/** The caller's own second factors (Bearer): authenticator apps (TOTP) and recovery codes. */
import { type Context, segment, tenantPath } from "./context.js";
import type { Factors, RecoveryCodes, TotpEnrollment } from "./mfa-types.js";
import type { Done, Result } from "./result.js";
import type { Call, RequestOptions } from "./transport.js";

export function mfaMethods(ctx: Context) {
  const { transport, session } = ctx;
  const asUser = <T>(call: Omit<Call, "bearer" | "path">, rest: string, options: RequestOptions) =>
    session.authorized(
      (bearer) => transport.send<T>({ ...call, path: tenantPath(ctx, `/v1/mfa${rest}`), bearer }, options),
      options,
    );

  return {
    /**
     * `POST /v1/mfa/totp` → 201 a pending authenticator: its secret, `otpauth_uri` and QR code, shown only
     * now. It counts once `confirmTotp` succeeds; a new enrollment replaces a pending one. 409 when the
     * caller has a confirmed authenticator already (`totp_enrolled`).
     */
    enrollTotp(options: RequestOptions = {}): Promise<Result<TotpEnrollment>> {
      return asUser<TotpEnrollment>({ method: "POST" }, "/totp", options);
    },

    /**
     * `POST /v1/mfa/totp/{id}/confirm` with the authenticator's current code → with the caller's first
     * factor, `recovery_codes` (shown only now); otherwise `{}`. 400 `invalid_mfa_code` (wrong, expired or
     * used code), 409 `totp_enrolled`, 429/423 when throttled.
     */
    confirmTotp(id: string, code: string, options: RequestOptions = {}): Promise<Result<Partial<RecoveryCodes>>> {
      return asUser<Partial<RecoveryCodes>>(
        { method: "POST", body: { code } },
        `/totp/${segment(id)}/confirm`,
        options,
      );
    },

    /** `GET /v1/mfa/factors` → the caller's confirmed factors and how many recovery codes are left. */
    listFactors(options: RequestOptions = {}): Promise<Result<Factors>> {
      return asUser<Factors>({ method: "GET" }, "/factors", options);
    },

    /**
     * `DELETE /v1/mfa/factors/{id}` → 204. Needs a login finished with a second factor within the last
     * 5 minutes: otherwise 403 `step_up_required`. 404 `not_found`.
     */
    removeFactor(id: string, options: RequestOptions = {}): Promise<Done> {
      return asUser<undefined>({ method: "DELETE" }, `/factors/${segment(id)}`, options);
    },

    /** `POST /v1/mfa/recovery-codes` → ten new codes; every earlier one stops working. 409 `no_second_factor`. */
    regenerateRecoveryCodes(options: RequestOptions = {}): Promise<Result<RecoveryCodes>> {
      return asUser<RecoveryCodes>({ method: "POST" }, "/recovery-codes", options);
    },
  };
}
