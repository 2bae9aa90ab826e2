import type { MiddlewareHandler } from "hono";
import { constantTimeEqual } from "../../core/crypto/compare.js";
import { errors } from "../../core/errors.js";
import type { AppEnv } from "../context.js";
import { actAs } from "../request-scope.js";
import { adminPreconditions } from "./preconditions.js";

/**
 * Whether the client tried the Bearer scheme at all. RFC 6750 §3.1: a request
 * without credentials, or with another scheme (Basic, say), gets a challenge
 * without an error code; only a Bearer attempt can be an `invalid_token`.
 */
export function triedBearer(header: string | undefined): boolean {
  return /^Bearer(\s|$)/i.test(header ?? "");
}

/** The bearer credential of a request, or undefined when none was sent. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer[ ]+([^ ]+)[ ]*$/i.exec(header ?? "");
  return match?.[1];
}

/**
 * Administration (API.md): the bootstrap admin key from configuration. Routes
 * outside any tenant take only it; tenant admin routes will also take API
 * keys with the `admin` scope (API-keys issue).
 */
export function requireBootstrapAdmin(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const { config } = c.get("services");
    const tenant = c.get("tenant") as AppEnv["Variables"]["tenant"] | undefined;
    const realm = tenant ? c.get("services").tokens.issuer(tenant) : config.PUBLIC_URL;
    const header = c.req.header("authorization");
    const token = bearerToken(header);
    if (!token) {
      throw errors.unauthorized(
        realm,
        "This route needs the bootstrap admin key as a Bearer token.",
        triedBearer(header),
      );
    }
    if (!(await constantTimeEqual(token, config.BOOTSTRAP_ADMIN_KEY))) {
      throw errors.unauthorized(realm, "The credential is not valid.", true);
    }
    actAs(c.get("scope"), { type: "bootstrap", id: null });
    return adminPreconditions(c, next);
  };
}
