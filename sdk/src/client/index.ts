/**
 * `@authority/sdk/client`: a typed async client for the authority's HTTP API
 * (API.md v1). Results, not exceptions; timeouts; retries of idempotent calls
 * only; single-flight refresh. Needs only `fetch` and WebCrypto.
 */
export type { LogoutInput, RefreshInput } from "./accounts.js";
export type * from "./admin-client-types.js";
export type * from "./admin-types.js";
export type * from "./admin-user-types.js";
export { type AuthorityClient, type ClientOptions, createClient } from "./client.js";
export type { CompleteLoginInput } from "./federated.js";
export {
  type AuthorizeParams,
  type CallbackParams,
  type PendingLogin,
  parseCallback,
  type StartLoginInput,
} from "./federation.js";
export type * from "./key-types.js";
export type * from "./mfa-types.js";
export { pages } from "./pages.js";
export { codeChallengeS256, createPkce, generateCodeVerifier, generateState, type Pkce } from "./pkce.js";
export type * from "./public-types.js";
export type { Done, Failure, FailureKind, FieldError, Problem, Result, Success } from "./result.js";
export type { RetryOptions } from "./retry.js";
export type { ClientSession } from "./session.js";
export { memoryTokenStore, type StoredTokens, storedTokens, type TokenStore } from "./token-store.js";
export type { FetchLike, RequestOptions } from "./transport.js";
export type * from "./types.js";
