/** Password accounts and sessions: signup, login (and its second factor), refresh, logout, me, sessions. */
import { type Context, pageOf, segment, tenantPath } from "./context.js";
import type { Done, Result } from "./result.js";
import { refreshOnce, type SendRefresh, waitFor } from "./session.js";
import type { RequestOptions, Transport } from "./transport.js";
import type {
  LoginInput,
  LoginResponse,
  MfaLoginTokens,
  PageQuery,
  SessionPage,
  SignupInput,
  SignupResponse,
  TokenResponse,
  User,
  VerifyMfaInput,
} from "./types.js";

export interface RefreshInput {
  /** Refresh this token statelessly (the client's session is neither read nor changed). */
  refresh_token?: string;
  /** Refresh by the `__Host-refresh-{tenant}` cookie (browsers), also without stored tokens, e.g. after a reload. */
  cookie?: boolean;
}

export interface LogoutInput {
  /** Also end the session of this refresh token (one of the caller's). Default: the stored one. */
  refresh_token?: string;
  /** Send the refresh cookie (and clear it). Default: as the session was started. */
  cookie?: boolean;
}

/** A refresh times out sooner than other calls, so that its retry still falls in the service's grace period (10 s). */
const REFRESH_TIMEOUT_MS = 5_000;

/**
 * `POST /v1/token/refresh` itself: what the session refreshes with. An answer
 * lost on the way (network, timeout) is asked for once more at once: the
 * service may have rotated the token already, and answers a retry within its
 * grace period with the same new tokens (otherwise the session would be lost).
 */
export function refreshSender(transport: Transport, tenant: string): SendRefresh {
  return async (body, cookie, options) => {
    const timeoutMs = Math.min(options.timeoutMs ?? REFRESH_TIMEOUT_MS, REFRESH_TIMEOUT_MS);
    const send = () =>
      transport.send<TokenResponse>(
        { method: "POST", path: `/t/${tenant}/v1/token/refresh`, body, cookie },
        { ...options, timeoutMs },
      );
    const first = await send();
    return !first.ok && (first.kind === "network" || first.kind === "timeout") ? send() : first;
  };
}

export function accountMethods(ctx: Context) {
  const { transport, session } = ctx;
  const sendRefresh = refreshSender(transport, ctx.tenant);

  return {
    /**
     * `POST /v1/signup` → 201 the user and tokens (stored as the client's session); when the tenant's MFA
     * policy binds the new user, the user and the enrollment challenge instead (`mfa_required`,
     * `enrollment_required`; nothing is stored): see `loginEnrollment`. 409 `email_taken`.
     */
    async signup(input: SignupInput, options: RequestOptions = {}): Promise<Result<SignupResponse>> {
      const cookie = input.cookie ?? ctx.cookie;
      const body = { ...input, cookie: cookie || undefined };
      const result = await transport.send<SignupResponse>(
        { method: "POST", path: tenantPath(ctx, "/v1/signup"), body, cookie },
        options,
      );
      return session.keep(result, cookie);
    },

    /**
     * `POST /v1/login` → tokens (stored as the client's session), or an `MfaChallenge` (`mfa_required: true`;
     * nothing is stored): for a user with a second factor finish it with `verifyMfa`; with
     * `enrollment_required` (the tenant's policy wants a factor the user has not got) enroll one through
     * `loginEnrollment`. 401 `invalid_credentials`, 423 `account_locked`, 429 `rate_limited` (see `problem.retryAfter`).
     */
    async login(input: LoginInput, options: RequestOptions = {}): Promise<Result<LoginResponse>> {
      const cookie = input.cookie ?? ctx.cookie;
      const body = { ...input, cookie: cookie || undefined };
      const result = await transport.send<LoginResponse>(
        { method: "POST", path: tenantPath(ctx, "/v1/login"), body, cookie },
        options,
      );
      return session.keep(result, cookie);
    },

    /**
     * `POST /v1/mfa/verify` with a login's `mfa_token` and a TOTP or recovery code → tokens (stored as the
     * client's session). For an enrollment challenge, the first code of the authenticator started with
     * `loginEnrollment.totp`: the answer then also has the first `recovery_codes` (shown only now). 400
     * `invalid_mfa_code` (a wrong code costs one of five attempts), 401 `invalid_mfa_token` (expired, used,
     * or out of attempts: log in again), 409 `no_second_factor` (an enrollment without an authenticator), 423, 429.
     */
    async verifyMfa(input: VerifyMfaInput, options: RequestOptions = {}): Promise<Result<MfaLoginTokens>> {
      const cookie = input.cookie ?? ctx.cookie;
      const body = { mfa_token: input.mfa_token, type: input.type, code: input.code, cookie: cookie || undefined };
      const result = await transport.send<MfaLoginTokens>(
        { method: "POST", path: tenantPath(ctx, "/v1/mfa/verify"), body, cookie },
        options,
      );
      return session.keep(result, cookie);
    },

    /**
     * `POST /v1/token/refresh`. Without `refresh_token`: the client's session,
     * single-flight (concurrent callers share one request) and stored; 401
     * `invalid_grant` ends the stored session. With `refresh_token`: that token, statelessly.
     */
    refresh(input: RefreshInput = {}, options: RequestOptions = {}): Promise<Result<TokenResponse>> {
      const token = input.refresh_token;
      if (token === undefined)
        return session.refresh({ ...options, ...(input.cookie === undefined ? {} : { cookie: input.cookie }) });
      // The same refresh token is never sent twice at once (also not beside the session's own refresh);
      // the shared request runs without one caller's signal, each caller waits with its own.
      const { signal, ...shared } = options;
      return waitFor(
        refreshOnce(token, () => sendRefresh({ refresh_token: token }, false, shared)),
        signal,
      );
    },

    /**
     * `POST /v1/logout` (Bearer) → 204: the session ends at once. The stored
     * session is forgotten afterwards (also when the service says it was over already).
     */
    async logout(input: LogoutInput = {}, options: RequestOptions = {}): Promise<Done> {
      const own = options.accessToken === undefined;
      const result = await session.authorized(async (bearer) => {
        // Read when sending: authorized() may have just refreshed, and the token stored before is spent.
        const stored = own ? await session.get() : undefined;
        const refreshToken = input.refresh_token ?? stored?.refreshToken;
        return transport.send<undefined>(
          {
            method: "POST",
            path: tenantPath(ctx, "/v1/logout"),
            bearer,
            body: refreshToken === undefined ? {} : { refresh_token: refreshToken },
            cookie: input.cookie ?? stored?.cookie ?? ctx.cookie,
          },
          options,
        );
      }, options);
      if (own && (result.ok || result.status === 401)) await session.clear();
      return result;
    },

    /** `GET /v1/me` (Bearer) → the user. */
    me(options: RequestOptions = {}): Promise<Result<User>> {
      return session.authorized(
        (bearer) => transport.send<User>({ method: "GET", path: tenantPath(ctx, "/v1/me"), bearer }, options),
        options,
      );
    },

    sessions: {
      /**
       * `GET /v1/sessions[?limit=&cursor=]` (Bearer) → a page of the caller's live sessions (100 unless
       * `limit` says otherwise), most recently used first, and `next_cursor`; `pages()` walks them all.
       */
      list(page: PageQuery & RequestOptions = {}): Promise<Result<SessionPage>> {
        const [query, options] = pageOf(page);
        return session.authorized(
          (bearer) =>
            transport.send<SessionPage>(
              { method: "GET", path: tenantPath(ctx, "/v1/sessions"), query, bearer },
              options,
            ),
          options,
        );
      },

      /** `DELETE /v1/sessions/{id}` (Bearer, own session) → 204; 404 `not_found` for any other id. */
      async delete(id: string, options: RequestOptions = {}): Promise<Done> {
        const path = tenantPath(ctx, `/v1/sessions/${segment(id)}`);
        const result = await session.authorized(
          (bearer) => transport.send<undefined>({ method: "DELETE", path, bearer }, options),
          options,
        );
        if (result.ok && options.accessToken === undefined && (await session.get())?.sessionId === id) {
          await session.clear();
        }
        return result;
      },
    },
  };
}
