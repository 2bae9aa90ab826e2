/**
 * `createClient`: a typed client for every route of the authority's API.
 * fetch only, so it runs on Node, Workers and in browsers.
 */
import { accountMethods, refreshSender } from "./accounts.js";
import { adminMethods } from "./admin.js";
import { adminClientMethods } from "./admin-clients.js";
import { adminUserMethods } from "./admin-users.js";
import { consentMethods } from "./consents.js";
import type { Context } from "./context.js";
import { emailMethods } from "./email.js";
import { federatedMethods } from "./federated.js";
import { keyMethods } from "./keys.js";
import { loginEnrollmentMethods } from "./login-enrollment.js";
import { mfaMethods } from "./mfa.js";
import { passkeyMethods } from "./passkeys.js";
import { publicMethods } from "./public.js";
import { DEFAULT_RETRY, type RetryOptions, retryPolicy } from "./retry.js";
import { ClientSession } from "./session.js";
import { memoryTokenStore, type TokenStore } from "./token-store.js";
import { type FetchLike, Transport } from "./transport.js";

export interface ClientOptions {
  /** The service's base URL, e.g. `https://auth.example.com` (a path prefix is kept). */
  baseUrl: string;
  /** The tenant's slug. Default `default`. */
  tenant?: string;
  /** Default: the runtime's global `fetch`. */
  fetch?: FetchLike;
  /** Timeout of each attempt, body included. Default 10 s. */
  timeoutMs?: number;
  /** Retries of idempotent calls (GET, PUT, DELETE); never of POSTs. Default 2 retries, 200 ms base, 10 s cap. */
  retries?: number | RetryOptions;
  /** The service or admin credential: an API key (`sk_...`) or the bootstrap admin key. */
  apiKey?: string;
  /** Where the session's tokens live. Default: in memory. */
  tokenStore?: TokenStore;
  /**
   * Cookie mode (browsers), off by default: with `true`, the calls that start or refresh a session keep the
   * refresh token in the `__Host-refresh-{tenant}` cookie instead of the store. A call's own `cookie` overrides it.
   */
  cookie?: boolean;
  /** Refresh the access token this long before it expires (at most half its lifetime). Default 30 s. */
  refreshLeewayMs?: number;
  /** Headers for every request (in browsers the service's CORS allows only a few). */
  headers?: Record<string, string>;
  /** The clock, epoch ms (tests). */
  now?: () => number;
}

const TENANT = /^[a-z0-9-]{1,63}$/;

function checkedBaseUrl(baseUrl: unknown): string {
  let url: URL;
  try {
    url = new URL(String(baseUrl));
  } catch {
    throw new TypeError("baseUrl must be an absolute http(s) URL");
  }
  if (typeof baseUrl !== "string" || (url.protocol !== "https:" && url.protocol !== "http:")) {
    throw new TypeError("baseUrl must be an absolute http(s) URL");
  }
  if (url.search || url.hash) throw new TypeError("baseUrl must not have a query or fragment");
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !(value > 0) || !Number.isFinite(value)) {
    throw new TypeError(`${name} must be a finite number > 0`);
  }
  return value;
}

/** The global fetch, looked up at call time (so it is never called with a foreign `this`). */
const globalFetch: FetchLike = (input, init) => globalThis.fetch(input, init);

/** The client: every route of the API, grouped as in API.md. */
export interface AuthorityClient
  extends ReturnType<typeof accountMethods>,
    ReturnType<typeof consentMethods>,
    ReturnType<typeof emailMethods>,
    ReturnType<typeof federatedMethods>,
    ReturnType<typeof keyMethods>,
    ReturnType<typeof passkeyMethods>,
    ReturnType<typeof publicMethods> {
  /** The normalised base URL (no trailing slash). */
  readonly baseUrl: string;
  readonly tenant: string;
  /** The session's tokens: read, set, refresh, or the access token to use now. */
  readonly session: ClientSession;
  /** Administration (the `apiKey` option: an admin-scoped API key or the bootstrap admin key). */
  readonly admin: ReturnType<typeof adminMethods> &
    ReturnType<typeof adminUserMethods> &
    ReturnType<typeof adminClientMethods>;
  /** The caller's own second factors (Bearer): authenticator apps and recovery codes. */
  readonly mfa: ReturnType<typeof mfaMethods>;
  /** A login's first second factor, with the `mfa_token` of an `enrollment_required` challenge. */
  readonly loginEnrollment: ReturnType<typeof loginEnrollmentMethods>;
  /**
   * The same client for another tenant (same options; its own in-memory
   * session unless `overrides.tokenStore` names one).
   */
  withTenant(slug: string, overrides?: Partial<ClientOptions>): AuthorityClient;
}

export function createClient(options: ClientOptions): AuthorityClient {
  if (typeof options !== "object" || options === null) throw new TypeError("createClient needs options");
  const baseUrl = checkedBaseUrl(options.baseUrl);
  const tenant = options.tenant ?? "default";
  if (typeof tenant !== "string" || !TENANT.test(tenant)) {
    throw new TypeError("tenant must be a slug: 1 to 63 characters of a-z, 0-9 and -");
  }
  if (options.fetch !== undefined && typeof options.fetch !== "function")
    throw new TypeError("fetch must be a function");
  if (options.apiKey !== undefined && (typeof options.apiKey !== "string" || options.apiKey === "")) {
    throw new TypeError("apiKey must be a non-empty string");
  }
  const store = options.tokenStore ?? memoryTokenStore();
  if (typeof store.get !== "function" || typeof store.set !== "function") {
    throw new TypeError("tokenStore needs get() and set()");
  }

  const transport = new Transport({
    baseUrl,
    fetch: options.fetch ?? globalFetch,
    timeoutMs: positive(options.timeoutMs, 10_000, "timeoutMs"),
    retry: retryPolicy(options.retries, DEFAULT_RETRY),
    headers: { ...options.headers },
  });
  const cookie = options.cookie === true;
  const session = new ClientSession({
    store,
    sendRefresh: refreshSender(transport, tenant),
    leewayMs: options.refreshLeewayMs === undefined ? 30_000 : Math.max(0, options.refreshLeewayMs),
    cookie,
    now: options.now ?? Date.now,
  });
  const ctx: Context = { transport, session, tenant, apiKey: options.apiKey, cookie };

  return {
    baseUrl,
    tenant,
    session,
    ...accountMethods(ctx),
    ...consentMethods(ctx),
    ...emailMethods(ctx),
    ...federatedMethods(ctx),
    ...keyMethods(ctx),
    ...passkeyMethods(ctx),
    ...publicMethods(ctx),
    admin: { ...adminMethods(ctx), ...adminUserMethods(ctx), ...adminClientMethods(ctx) },
    mfa: mfaMethods(ctx),
    loginEnrollment: loginEnrollmentMethods(ctx),
    withTenant: (slug, overrides = {}) =>
      createClient({ ...options, tokenStore: undefined, ...overrides, tenant: slug }),
  };
}
