/**
 * @authority/sdk: for services that trust the authority. Verification
 * (access tokens, API keys) and middleware live here; the typed HTTP client
 * is `@authority/sdk/client`, the Hono and Express middleware are
 * `@authority/sdk/hono` and `@authority/sdk/express`.
 */
export const SDK_VERSION = "0.1.0";
