/**
 * A login's first second factor: when the tenant's MFA policy wants a factor
 * the user has not got, `login` (or `signup`, `exchange`) answers an
 * `MfaChallenge` with `enrollment_required`, and its `mfa_token` enrolls one
 * here. Enrolling finishes the login: the tokens come with the first recovery codes.
 */
import { type Context, tenantPath } from "./context.js";
import type { EnrollPasskeyInput, TotpEnrollment, WebAuthnOptionsJSON } from "./mfa-types.js";
import type { Result } from "./result.js";
import type { RequestOptions } from "./transport.js";
import type { MfaLoginTokens } from "./types.js";

export function loginEnrollmentMethods(ctx: Context) {
  const { transport, session } = ctx;
  const path = (rest: string) => tenantPath(ctx, `/v1/mfa/enroll${rest}`);

  return {
    /**
     * `POST /v1/mfa/enroll/totp` → 201 a pending authenticator app (secret, `otpauth_uri`, QR code; shown only
     * now). Its first code, sent with `verifyMfa({ mfa_token, type: "totp", code })`, confirms it and finishes
     * the login. 401 `invalid_mfa_token`; 403 `mfa_enrollment_not_allowed` for a challenge that is not an enrollment.
     */
    totp(input: { mfa_token: string }, options: RequestOptions = {}): Promise<Result<TotpEnrollment>> {
      return transport.send<TotpEnrollment>(
        { method: "POST", path: path("/totp"), body: { mfa_token: input.mfa_token } },
        options,
      );
    },

    /** `POST /v1/mfa/enroll/passkey/options` → options for `navigator.credentials.create()`; 401, 403 as `totp`. */
    passkeyOptions(input: { mfa_token: string }, options: RequestOptions = {}): Promise<Result<WebAuthnOptionsJSON>> {
      return transport.send<WebAuthnOptionsJSON>(
        { method: "POST", path: path("/passkey/options"), body: { mfa_token: input.mfa_token } },
        options,
      );
    },

    /**
     * `POST /v1/mfa/enroll/passkey` → the user's first passkey is stored and the login finished: tokens (stored
     * as the client's session) with the first `recovery_codes`. 400 `invalid_passkey` (costs an attempt),
     * 401 `invalid_mfa_token`, 403 `mfa_enrollment_not_allowed`.
     */
    async passkey(input: EnrollPasskeyInput, options: RequestOptions = {}): Promise<Result<MfaLoginTokens>> {
      const cookie = input.cookie ?? ctx.cookie;
      const body = {
        mfa_token: input.mfa_token,
        response: input.response,
        ...(input.name === undefined ? {} : { name: input.name }),
        cookie: cookie || undefined,
      };
      const result = await transport.send<MfaLoginTokens>(
        { method: "POST", path: path("/passkey"), body, cookie },
        options,
      );
      return session.keep(result, cookie);
    },
  };
}
