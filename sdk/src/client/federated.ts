/** Federated login: redirect URLs for providers and SAML connections, and the code exchange. */
import { type Context, segment, tenantPath } from "./context.js";
import {
  type AuthorizeParams,
  authorizeQuery,
  checkName,
  type PendingLogin,
  parseCallback,
  type StartLoginInput,
  startLogin,
} from "./federation.js";
import { localFailure, type Result } from "./result.js";
import type { RequestOptions } from "./transport.js";
import type { ExchangeInput, LoginResponse } from "./types.js";

export interface CompleteLoginInput {
  /** The `state` sent with the redirect: the answer must carry it back. */
  state: string;
  codeVerifier?: string;
  cookie?: boolean;
}

export function federatedMethods(ctx: Context) {
  const { transport, session } = ctx;

  /**
   * `POST /v1/token/exchange` → tokens for a one-time code (stored as the client's session), or as after
   * `login` an `MfaChallenge` (`mfa_required: true`; nothing stored) when the user has a second factor or
   * must enroll one: finish it with `verifyMfa` or `loginEnrollment`. 400 `invalid_grant` for a used,
   * expired or unknown code or a wrong verifier.
   */
  const exchange = async (input: ExchangeInput, options: RequestOptions = {}): Promise<Result<LoginResponse>> => {
    const cookie = input.cookie ?? ctx.cookie;
    const body = { ...input, cookie: cookie || undefined };
    const result = await transport.send<LoginResponse>(
      { method: "POST", path: tenantPath(ctx, "/v1/token/exchange"), body, cookie },
      options,
    );
    return session.keep(result, cookie);
  };

  const providerPath = (provider: string, rest: string) =>
    tenantPath(ctx, `/v1/oauth/${segment(checkName("provider", provider))}${rest}`);
  const connectionPath = (connection: string, rest: string) =>
    tenantPath(ctx, `/v1/saml/${segment(checkName("connection", connection))}${rest}`);

  const oauthUrl = (provider: string, params: AuthorizeParams) =>
    transport.url(providerPath(provider, "/authorize"), authorizeQuery(params));
  const samlUrl = (connection: string, params: AuthorizeParams) =>
    transport.url(connectionPath(connection, "/login"), authorizeQuery(params));

  return {
    exchange,

    /**
     * Finishes a federated login where the browser came back: checks `state`,
     * then exchanges the code (tokens, or an `MfaChallenge` as `exchange` answers). An `error` in the URL or a foreign state is a
     * `kind: "callback"` failure (code `state_mismatch`, or the `error` sent back) without a request.
     */
    async completeLogin(
      url: string | URL,
      expected: CompleteLoginInput,
      options: RequestOptions = {},
    ): Promise<Result<LoginResponse>> {
      const back = parseCallback(url);
      if (back.state !== expected.state) {
        return localFailure(
          "callback",
          "state_mismatch",
          "State mismatch",
          "The redirect's state is not this login's.",
        );
      }
      if (back.error !== undefined || back.code === undefined) {
        const code = back.error ?? "invalid_request";
        return localFailure("callback", code, "Login failed", back.errorDescription ?? `The login ended with ${code}.`);
      }
      return exchange(
        {
          code: back.code,
          ...(expected.codeVerifier === undefined ? {} : { code_verifier: expected.codeVerifier }),
          ...(expected.cookie === undefined ? {} : { cookie: expected.cookie }),
        },
        options,
      );
    },

    oauth: {
      /** `GET /v1/oauth/{provider}/authorize?...`: where to send the browser. */
      authorizeUrl: (provider: string, params: AuthorizeParams): string => oauthUrl(provider, params),
      /** A fresh state and PKCE pair and the authorize URL with them; keep `state` and `codeVerifier`. */
      start: (provider: string, input: StartLoginInput): Promise<PendingLogin> =>
        startLogin(input, (params) => oauthUrl(provider, params)),
      /**
       * The provider's redirect URI to register at the provider, `{issuer}/v1/oauth/{provider}/callback`,
       * on this client's base URL (the service builds it from its PUBLIC_URL).
       */
      callbackUrl: (provider: string): string => transport.url(providerPath(provider, "/callback")),
    },

    saml: {
      /** `GET /v1/saml/{connection}/login?...`: where to send the browser. */
      loginUrl: (connection: string, params: AuthorizeParams): string => samlUrl(connection, params),
      start: (connection: string, input: StartLoginInput): Promise<PendingLogin> =>
        startLogin(input, (params) => samlUrl(connection, params)),
      metadataUrl: (connection: string): string => transport.url(connectionPath(connection, "/metadata")),
      /** The assertion consumer service URL (HTTP-POST binding), on this client's base URL. */
      acsUrl: (connection: string): string => transport.url(connectionPath(connection, "/acs")),
      /** `GET /v1/saml/{connection}/metadata` → the SP metadata XML. */
      metadata(connection: string, options: RequestOptions = {}): Promise<Result<string>> {
        return transport.send<string>(
          { method: "GET", path: connectionPath(connection, "/metadata"), accept: "text" },
          options,
        );
      },
    },
  };
}
