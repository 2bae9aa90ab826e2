import type { MiddlewareHandler } from "hono";
import { ADMIN_SCOPE } from "../../core/api-keys/key-scopes.js";
import { constantTimeEqual } from "../../core/crypto/compare.js";
import { errors } from "../../core/errors.js";
import { inBackground } from "../background.js";
import type { AppEnv } from "../context.js";
import { actAs } from "../request-scope.js";
import { bearerToken, triedBearer } from "./admin-auth.js";
import { adminPreconditions } from "./preconditions.js";

/**
 * Tenant routes for other services and administrators: `Authorization:
 * Bearer sk_...` with an API key of this tenant holding `scope`, or the
 * bootstrap admin key from configuration. A valid key without the scope is
 * 403 `forbidden` with an `insufficient_scope` challenge; anything else 401.
 */
export function requireServiceScope(scope: string): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const { config, apiKeys, tokens } = c.get("services");
    const realm = tokens.issuer(c.get("tenant"));
    const header = c.req.header("authorization");
    const token = bearerToken(header);
    if (!token) {
      throw errors.unauthorized(
        realm,
        `This route needs an API key with scope "${scope}" as a Bearer token.`,
        triedBearer(header),
      );
    }
    if (await constantTimeEqual(token, config.BOOTSTRAP_ADMIN_KEY)) {
      actAs(c.get("scope"), { type: "bootstrap", id: null });
    } else {
      const key = await apiKeys.verify(c.get("tenant"), token, inBackground(c));
      if (!key) throw errors.unauthorized(realm, "The API key is not valid.", true);
      if (!key.scopes.includes(scope)) throw errors.keyLacksScope(realm, scope);
      actAs(c.get("scope"), { type: "api_key", id: key.id });
    }
    if (scope === ADMIN_SCOPE) return adminPreconditions(c, next);
    await next();
  };
}
