/** Placeholder: the SDK (token verification, middleware, typed client) is built in its own issue. */
export const SDK_VERSION = "0.0.0";
