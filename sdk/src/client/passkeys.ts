/** Passkeys: the caller's own (Bearer) and passwordless login. */
import { type Context, segment, tenantPath } from "./context.js";
import type {
  Passkey,
  PasskeyLoginInput,
  PasskeyLoginOptions,
  Passkeys,
  WebAuthnCredentialJSON,
  WebAuthnOptionsJSON,
} from "./mfa-types.js";
import type { Done, Result } from "./result.js";
import type { RequestOptions } from "./transport.js";
import type { TokenResponse } from "./types.js";

export function passkeyMethods(ctx: Context) {
  const { transport, session } = ctx;
  const path = (rest: string) => tenantPath(ctx, `/v1/mfa/passkeys${rest}`);

  return {
    /** `POST /v1/mfa/passkeys/registration/options` (Bearer) → options for `navigator.credentials.create()`. */
    passkeyRegistrationOptions(options: RequestOptions = {}): Promise<Result<WebAuthnOptionsJSON>> {
      return session.authorized(
        (bearer) =>
          transport.send<WebAuthnOptionsJSON>({ method: "POST", path: path("/registration/options"), bearer }, options),
        options,
      );
    },

    /** `POST /v1/mfa/passkeys/registration` (Bearer) → 201 the stored passkey; 400 `invalid_passkey`. */
    registerPasskey(
      input: { response: WebAuthnCredentialJSON; name?: string },
      options: RequestOptions = {},
    ): Promise<Result<Passkey>> {
      return session.authorized(
        (bearer) =>
          transport.send<Passkey>({ method: "POST", path: path("/registration"), body: input, bearer }, options),
        options,
      );
    },

    /** `GET /v1/mfa/passkeys` (Bearer) → the caller's passkeys, oldest first. */
    listPasskeys(options: RequestOptions = {}): Promise<Result<Passkeys>> {
      return session.authorized(
        (bearer) => transport.send<Passkeys>({ method: "GET", path: path(""), bearer }, options),
        options,
      );
    },

    /** `PATCH /v1/mfa/passkeys/{id}` (Bearer) → the renamed passkey; 404 `not_found`. */
    renamePasskey(id: string, name: string, options: RequestOptions = {}): Promise<Result<Passkey>> {
      return session.authorized(
        (bearer) =>
          transport.send<Passkey>({ method: "PATCH", path: path(`/${segment(id)}`), body: { name }, bearer }, options),
        options,
      );
    },

    /** `DELETE /v1/mfa/passkeys/{id}` (Bearer) → 204; 404 `not_found`; 403 `step_up_required` without a recent second factor. */
    removePasskey(id: string, options: RequestOptions = {}): Promise<Done> {
      return session.authorized(
        (bearer) => transport.send<undefined>({ method: "DELETE", path: path(`/${segment(id)}`), bearer }, options),
        options,
      );
    },

    /** `POST /v1/passkeys/authentication/options` → options for `navigator.credentials.get()` and their challenge id. */
    passkeyLoginOptions(options: RequestOptions = {}): Promise<Result<PasskeyLoginOptions>> {
      return transport.send<PasskeyLoginOptions>(
        { method: "POST", path: tenantPath(ctx, "/v1/passkeys/authentication/options") },
        options,
      );
    },

    /**
     * `POST /v1/passkeys/authentication` → tokens (stored as the client's session); 401 `passkey_refused`,
     * 403 `account_disabled`, 429 `rate_limited`.
     */
    async loginWithPasskey(input: PasskeyLoginInput, options: RequestOptions = {}): Promise<Result<TokenResponse>> {
      const cookie = input.cookie ?? ctx.cookie;
      const body = { ...input, cookie: cookie || undefined };
      const result = await transport.send<TokenResponse>(
        { method: "POST", path: tenantPath(ctx, "/v1/passkeys/authentication"), body, cookie },
        options,
      );
      return session.keep(result, cookie);
    },
  };
}
