/**
 * The client's session: keeps the tokens in a TokenStore, refreshes the
 * access token shortly before it expires or after a 401, and lets concurrent
 * callers share one refresh. The service rotates refresh tokens and treats a
 * spent one presented again (after a short grace) as theft, so this client
 * never sends two refreshes of the same session at once.
 */
import { type Failure, invalidResponse, localFailure, type Result } from "./result.js";
import { isRetryable } from "./retry.js";
import { type StoredTokens, storedTokens, type TokenStore } from "./token-store.js";
import type { RequestOptions } from "./transport.js";
import type { TokenResponse } from "./types.js";

export type SendRefresh = (
  body: { refresh_token?: string; cookie?: boolean },
  cookie: boolean,
  options: RequestOptions,
) => Promise<Result<TokenResponse>>;

export interface SessionDeps {
  store: TokenStore;
  sendRefresh: SendRefresh;
  /** Refresh this long before expiry (at most half the token's lifetime). */
  leewayMs: number;
  /** Cookie mode (the client's `cookie` option, off by default): a 401 without stored tokens tries the refresh cookie. */
  cookie: boolean;
  now: () => number;
}

/** One refresh in flight per store, shared by every client using that store. */
const flights = new WeakMap<TokenStore, Promise<Result<TokenResponse>>>();
/** Per store: after a refresh that failed for now, no other is tried before this time (ms) while the token works. */
const pausedUntil = new WeakMap<TokenStore, number>();
/** How long a failed refresh pauses the next ones when the service named no Retry-After. */
const REFRESH_PAUSE_MS = 5_000;

/** Refresh requests in flight by refresh token, whoever sent them (session or stateless). */
const byToken = new Map<string, Promise<Result<TokenResponse>>>();

/** Sends a refresh of `token` unless one is in flight already, whose result is then shared. */
export function refreshOnce(token: string, send: () => Promise<Result<TokenResponse>>): Promise<Result<TokenResponse>> {
  let flight = byToken.get(token);
  if (!flight) {
    const started = send().finally(() => {
      if (byToken.get(token) === started) byToken.delete(token);
    });
    byToken.set(token, started);
    flight = started;
  }
  return flight;
}

/** The outcome for one caller: the shared flight, unless its own signal aborts its wait first. */
export function waitFor<T>(promise: Promise<Result<T>>, signal: AbortSignal | undefined): Promise<Result<T>> {
  if (!signal) return promise;
  const abortedResult = () =>
    localFailure("aborted", "aborted", "Aborted", "The caller aborted the request.", { cause: signal.reason });
  if (signal.aborted) return Promise.resolve(abortedResult());
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve(abortedResult());
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (result) => {
        signal.removeEventListener("abort", onAbort);
        resolve(result);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/**
 * The 401s that refuse the access token itself (RFC 6750 §3.1). Another 401 of a bearer route, e.g. a
 * wrong current password, is the answer: refreshing and sending it again would only count twice.
 */
const TOKEN_REFUSED: ReadonlySet<string> = new Set(["invalid_token", "token_revoked", "unauthorized"]);

export class ClientSession {
  constructor(private readonly deps: SessionDeps) {}

  /** The stored tokens, if any. */
  async get(): Promise<StoredTokens | undefined> {
    return (await this.deps.store.get()) ?? undefined;
  }

  /** Replaces the stored tokens (e.g. restored from elsewhere); `undefined` forgets them. */
  async set(tokens: StoredTokens | undefined): Promise<void> {
    await this.deps.store.set(tokens);
  }

  /** Forgets the session locally (no request; see `logout` to end it at the service). */
  clear(): Promise<void> {
    return this.set(undefined);
  }

  /** Stores a token response just received. */
  /**
   * Stores the tokens of a successful answer as the session; a second step
   * that is due (`mfa_required`) stores nothing. An answer without tokens (a
   * 200 from something that is not the service) is an `invalid_response`
   * failure instead, and the stored session is kept.
   */
  async keep<T extends TokenResponse | { mfa_required: true }>(result: Result<T>, cookie: boolean): Promise<Result<T>> {
    if (!result.ok || ("mfa_required" in result.value && result.value.mfa_required === true)) return result;
    const tokens = result.value as Partial<TokenResponse>;
    if (
      typeof tokens.access_token !== "string" ||
      tokens.access_token === "" ||
      typeof tokens.expires_in !== "number"
    ) {
      return invalidResponse(result, "The service's answer holds no access token.");
    }
    await this.save(tokens as TokenResponse, cookie);
    return result;
  }

  async save(response: TokenResponse, cookie: boolean): Promise<void> {
    pausedUntil.delete(this.deps.store);
    await this.deps.store.set(storedTokens(response, cookie, this.deps.now()));
  }

  /** The access token to send now: refreshed first when it expires within the leeway; undefined when logged out. */
  async accessToken(options: RequestOptions = {}): Promise<string | undefined> {
    const current = await this.current(options);
    return "token" in current ? current.token : undefined;
  }

  /**
   * Refreshes the session now (single-flight). With `cookie: true` and no
   * stored tokens it tries the refresh cookie (a browser after a reload).
   */
  refresh(options: RequestOptions & { cookie?: boolean } = {}): Promise<Result<TokenResponse>> {
    return this.refreshShared(undefined, options.cookie ?? this.deps.cookie, options);
  }

  /**
   * A bearer call with the session's token: refreshed before expiry, and on a
   * 401 refusing the token refreshed once (or taken from a concurrent refresh) and retried once.
   */
  async authorized<T>(
    send: (token: string | undefined) => Promise<Result<T>>,
    options: RequestOptions,
  ): Promise<Result<T>> {
    if (options.accessToken !== undefined) return send(options.accessToken);
    const current = await this.current(options);
    if ("failure" in current) return current.failure;
    const first = await send(current.token);
    if (first.ok || first.status !== 401 || !TOKEN_REFUSED.has(first.problem.code)) return first;
    if (current.token === undefined && !this.deps.cookie) return first;
    const refreshed = await this.refreshShared(current.token ?? "", this.deps.cookie, options);
    if (!refreshed.ok) return first;
    return send(refreshed.value.access_token);
  }

  private async current(options: RequestOptions): Promise<{ token: string | undefined } | { failure: Failure }> {
    const tokens = await this.get();
    if (!tokens) return { token: undefined };
    const now = this.deps.now();
    const leeway = Math.min(this.deps.leewayMs, (tokens.expiresAt - tokens.obtainedAt) / 2);
    if (now < tokens.expiresAt - leeway) return { token: tokens.accessToken };
    const { store } = this.deps;
    if (now < (pausedUntil.get(store) ?? 0) && now < tokens.expiresAt) return { token: tokens.accessToken };
    const refreshed = await this.refreshShared(tokens.accessToken, tokens.cookie, options);
    if (refreshed.ok) return { token: refreshed.value.access_token };
    // Could not refresh for now, but the token still works: use it, and wait before trying again.
    if (isRetryable(refreshed) && this.deps.now() < tokens.expiresAt) {
      const waitMs =
        refreshed.problem.retryAfter === undefined ? REFRESH_PAUSE_MS : refreshed.problem.retryAfter * 1000;
      pausedUntil.set(store, this.deps.now() + waitMs);
      return { token: tokens.accessToken };
    }
    return { failure: refreshed };
  }

  /**
   * Joins the refresh in flight for this store or starts one. `used` is the
   * access token a caller found expired or refused: when the store already
   * holds another, fresh one, a concurrent refresh has happened and that one
   * is returned without a request.
   */
  private refreshShared(
    used: string | undefined,
    cookie: boolean,
    options: RequestOptions,
  ): Promise<Result<TokenResponse>> {
    const { store } = this.deps;
    let flight = flights.get(store);
    if (!flight) {
      // The shared request runs without any one caller's signal: one caller giving up must not fail the others.
      const { signal: _own, ...shared } = options;
      const started = this.fly(used, cookie, shared).finally(() => {
        if (flights.get(store) === started) flights.delete(store);
      });
      flights.set(store, started);
      flight = started;
    }
    return waitFor(flight, options.signal);
  }

  private async fly(
    used: string | undefined,
    cookie: boolean,
    options: RequestOptions,
  ): Promise<Result<TokenResponse>> {
    const tokens = await this.get();
    if (used !== undefined && tokens && tokens.accessToken !== used && this.deps.now() < tokens.expiresAt) {
      return this.fromStore(tokens);
    }
    const byCookie = tokens ? tokens.cookie : cookie;
    if (!tokens?.refreshToken && !byCookie) {
      return localFailure("no_session", "no_session", "No session", "There is no session to refresh: log in first.");
    }
    const refreshToken = tokens?.refreshToken;
    const result = refreshToken
      ? await refreshOnce(refreshToken, () => this.deps.sendRefresh({ refresh_token: refreshToken }, false, options))
      : await this.deps.sendRefresh({ cookie: true }, true, options);
    const current = await this.get();
    // Another login may have replaced the session meanwhile: only touch the store when it still holds ours.
    if (current?.accessToken !== tokens?.accessToken) return result;
    if (result.ok) return this.keep(result, byCookie);
    if (result.kind === "http" && result.status === 401) await this.clear();
    return result;
  }

  private fromStore(tokens: StoredTokens): Result<TokenResponse> {
    const now = this.deps.now();
    return {
      ok: true,
      status: 200,
      value: {
        access_token: tokens.accessToken,
        token_type: "Bearer",
        expires_in: Math.max(0, Math.floor((tokens.expiresAt - now) / 1000)),
        ...(tokens.refreshToken === undefined ? {} : { refresh_token: tokens.refreshToken }),
        refresh_expires_in: Math.max(0, Math.floor((tokens.refreshExpiresAt - now) / 1000)),
        session_id: tokens.sessionId,
      },
      headers: new Headers(),
      requestId: undefined,
      attempts: 0,
    };
  }
}
