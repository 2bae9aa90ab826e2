/**
 * @authority/sdk: for services that trust the authority. Verification
 * (access tokens, API keys) and the fetch-handler middleware (`withAuth`:
 * Workers, Next.js) live here; the Hono, Express-style and Fastify middleware
 * are `@authority/sdk/hono`, `@authority/sdk/express` and
 * `@authority/sdk/fastify`, the typed HTTP client is `@authority/sdk/client`.
 */
export const SDK_VERSION = "0.1.0";

export { apiKeyFormat, isWellFormedApiKey } from "./api-keys/format.js";
export {
  type ApiKeyFailureReason,
  type ApiKeyResult,
  type ApiKeyVerifier,
  type ApiKeyVerifierOptions,
  createApiKeyVerifier,
  type VerifiedApiKey,
} from "./api-keys/verifier.js";
export type { AuthOptions } from "./middleware/authenticate.js";
export { type AuthedHandler, withAuth } from "./middleware/fetch.js";
export {
  type AccessTokenPrincipal,
  type ApiKeyPrincipal,
  type AuthPrincipal,
  hasScopes,
} from "./middleware/principal.js";
export {
  type AccessTokenClaims,
  type AccessTokenHeader,
  type Algorithm,
  type EdgeCache,
  type ErrorLogger,
  type FailureReason,
  type FetchLike,
  type IntrospectionSettings,
  type JwksSettings,
  SUPPORTED_ALGORITHMS,
  TokenVerificationError,
  type VerificationError,
  type Verifier,
  type VerifierOptions,
  type VerifyCallOptions,
  type VerifyFailure,
  type VerifyResult,
  type VerifySuccess,
  type WaitUntil,
} from "./verify/types.js";
export { createVerifier } from "./verify/verifier.js";
export { verifyAccessToken } from "./verify/verify-access-token.js";
