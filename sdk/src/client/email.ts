/**
 * The account lifecycle by email: verifying the address, moving the account
 * to another one, and the password (forgotten, reset, changed). The mails'
 * links carry the `token` that `verifyEmail` and `resetPassword` take.
 */
import { type Context, tenantPath } from "./context.js";
import type { Done, Result } from "./result.js";
import type { RequestOptions } from "./transport.js";
import type {
  Accepted,
  ChangeEmailInput,
  ChangePasswordInput,
  ForgotPasswordInput,
  ResetPasswordInput,
  User,
  VerifyEmailInput,
} from "./types.js";

export function emailMethods(ctx: Context) {
  const { transport, session } = ctx;
  // Bodies name their fields one by one: nothing else the caller passed (request options by mistake) is sent.
  const post = <T>(rest: string, body: object, options: RequestOptions) =>
    transport.send<T>({ method: "POST", path: tenantPath(ctx, rest), body }, options);
  const postAsUser = <T>(rest: string, body: object | undefined, options: RequestOptions) =>
    session.authorized(
      (bearer) => transport.send<T>({ method: "POST", path: tenantPath(ctx, rest), bearer, body }, options),
      options,
    );

  return {
    /**
     * `POST /v1/email/verification` (Bearer) → 202: another verification mail (none when the address is
     * verified already; same answer). 429 `rate_limited` (`problem.retryAfter`), 503 `mail_unavailable`.
     */
    requestEmailVerification(options: RequestOptions = {}): Promise<Result<Accepted>> {
      return postAsUser<Accepted>("/v1/email/verification", undefined, options);
    },

    /**
     * `POST /v1/email/verify` with the token of a verification mail (the address becomes verified) or of an
     * email-change mail (the account moves to the new address) → the user. 400 `invalid_token` (unknown,
     * used or expired); 409 `email_taken` when another account took the new address meanwhile.
     */
    verifyEmail(input: VerifyEmailInput, options: RequestOptions = {}): Promise<Result<User>> {
      return post<User>("/v1/email/verify", { token: input.token }, options);
    },

    /**
     * `POST /v1/password/forgot` → 202 whether or not an account has the address (an account that has
     * it gets a reset link, valid for 30 minutes). 429 `rate_limited`, 503 `mail_unavailable`.
     */
    forgotPassword(input: ForgotPasswordInput, options: RequestOptions = {}): Promise<Result<Accepted>> {
      return post<Accepted>("/v1/password/forgot", { email: input.email }, options);
    },

    /**
     * `POST /v1/password/reset` with the reset mail's token → 204. Every session of the user ends at once:
     * a session this client holds for that user is dead too (its next call's refresh fails and forgets
     * it), so log in with the new password. 400 `invalid_token` or `validation_failed`, 403 `account_disabled`.
     */
    resetPassword(input: ResetPasswordInput, options: RequestOptions = {}): Promise<Done> {
      return post<undefined>("/v1/password/reset", { token: input.token, password: input.password }, options);
    },

    /**
     * `POST /v1/password/change` (Bearer) → 204. The user's other sessions end at once; this one stays
     * valid. 401 `invalid_credentials` for a wrong current password (the session is kept), 400
     * `validation_failed`, 423 `account_locked`, 429 `rate_limited`.
     */
    changePassword(input: ChangePasswordInput, options: RequestOptions = {}): Promise<Done> {
      const body = { current_password: input.current_password, new_password: input.new_password };
      return postAsUser<undefined>("/v1/password/change", body, options);
    },

    /**
     * `POST /v1/email/change` (Bearer) → 202: the new address gets a link (to `verifyEmail`) and the old
     * one a notice; the account keeps its address until the link is used. 401 `invalid_credentials`,
     * 400 `validation_failed` (also for the account's own address), 423, 429, 503 `mail_unavailable`.
     */
    changeEmail(input: ChangeEmailInput, options: RequestOptions = {}): Promise<Result<Accepted>> {
      return postAsUser<Accepted>(
        "/v1/email/change",
        { new_email: input.new_email, password: input.password },
        options,
      );
    },
  };
}
