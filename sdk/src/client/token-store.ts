/**
 * Where a client keeps its session's tokens. In memory by default; anything
 * with `get` and `set` (sync or async) will do, e.g. sessionStorage, a
 * server-side session record, or a store shared by several clients.
 */
import type { TokenResponse } from "./types.js";

export interface StoredTokens {
  accessToken: string;
  /** When the access token expires, epoch milliseconds of this runtime's clock. */
  expiresAt: number;
  /** When the tokens were received, epoch milliseconds. */
  obtainedAt: number;
  /** Absent in cookie mode: the refresh token is then in the `__Host-refresh-{tenant}` cookie. */
  refreshToken?: string;
  /** When the session's idle timeout ends unless refreshed, epoch milliseconds. */
  refreshExpiresAt: number;
  sessionId: string;
  /** Cookie mode: refresh and logout send the cookie (`credentials: "include"`). */
  cookie: boolean;
}

export interface TokenStore {
  get(): StoredTokens | undefined | Promise<StoredTokens | undefined>;
  /** `undefined` forgets the session (logout, or the session ended). */
  set(tokens: StoredTokens | undefined): void | Promise<void>;
}

/** A store in this object's memory: gone with the page, isolate or process. */
export function memoryTokenStore(initial?: StoredTokens): TokenStore {
  let tokens = initial;
  return {
    get: () => tokens,
    set: (next) => {
      tokens = next;
    },
  };
}

/** What to store from a token response received at `now`. */
export function storedTokens(response: TokenResponse, cookie: boolean, now = Date.now()): StoredTokens {
  return {
    accessToken: response.access_token,
    expiresAt: now + response.expires_in * 1000,
    obtainedAt: now,
    ...(response.refresh_token === undefined ? {} : { refreshToken: response.refresh_token }),
    refreshExpiresAt: now + response.refresh_expires_in * 1000,
    sessionId: response.session_id,
    cookie: cookie && response.refresh_token === undefined,
  };
}
