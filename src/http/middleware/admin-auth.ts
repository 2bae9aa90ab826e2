import type { MiddlewareHandler } from "hono";
import { constantTimeEqual } from "../../core/crypto.js";
import { errors } from "../../core/errors.js";
import type { AppEnv } from "../context.js";

/** The bearer credential of a request, or undefined when none was sent. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer[ ]+([^ ]+)[ ]*$/i.exec(header ?? "");
  return match?.[1];
}

/**
 * Routes outside any tenant (`/v1/admin/tenants`) take only the bootstrap
 * admin key from configuration (API.md, Administration).
 */
export function requireBootstrapAdmin(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const { config } = c.var.services;
    const realm = config.PUBLIC_URL;
    const header = c.req.header("authorization");
    const token = bearerToken(header);
    if (!token) {
      throw errors.unauthorized(
        realm,
        "This route needs the bootstrap admin key as a Bearer token.",
        header !== undefined,
      );
    }
    if (!(await constantTimeEqual(token, config.BOOTSTRAP_ADMIN_KEY))) {
      throw errors.unauthorized(realm, "The credential is not valid.", true);
    }
    await next();
  };
}
