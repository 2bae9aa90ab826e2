import type { Context, MiddlewareHandler } from "hono";
import { constantTimeEqual } from "../../core/crypto/compare.js";
import { AppError, errors } from "../../core/errors.js";
import { errorDescription } from "../../core/oidc/oauth-error.js";
import type { UserRecord } from "../../core/ports/database.js";
import { FIRST_PARTY_CLIENT } from "../../core/sessions/session-ledger.js";
import { type AccessTokenClaims, InvalidTokenError, isClientToken } from "../../core/tokens/access-token.js";
import type { AppEnv } from "../context.js";
import { actAs } from "../request-scope.js";
import { bearerToken, triedBearer } from "./admin-auth.js";
import { isFormType } from "./body.js";

/** RFC 6750 §3: the challenge, with `error` only when a token was presented. */
function unauthorized(realm: string, detail: string, presented: boolean, code = "invalid_token"): AppError {
  const challenge = presented
    ? `Bearer realm="${realm}", error="invalid_token", error_description="${errorDescription(detail)}"`
    : `Bearer realm="${realm}"`;
  return new AppError(
    401,
    presented ? code : "unauthorized",
    "Unauthorized",
    detail,
    {},
    {
      "WWW-Authenticate": challenge,
    },
  );
}

const BOOTSTRAP_KEY_HERE =
  "This route needs a user's access token (from signup, login or a refresh) as a Bearer token. " +
  "The bootstrap admin key opens only the admin routes (/v1/admin/... and /t/{tenant}/v1/admin/...).";

/** Who may call a bearer route: the account's own apps only, or any client the user signed in to (UserInfo). */
export interface BearerRouteOptions {
  /** UserInfo: tokens of every OAuth client, also sent in a form body (RFC 6750 §2.2). */
  anyClient?: boolean;
}

/**
 * Tenant routes behind a user's access token: verifies it and puts its
 * claims on `c.get("auth")`. A client's own token (client_credentials) names no
 * user, so it is refused here. The account routes (profile, sessions, keys,
 * factors, password, email) take only tokens of the tenant's own apps: the
 * JSON API's and first-party clients'. A third-party client holds only the
 * scopes the user consented to, which reach UserInfo and nothing more.
 */
export function requireAccessToken(options: BearerRouteOptions = {}): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const { tokens } = c.get("services");
    const realm = tokens.issuer(c.get("tenant"));
    const header = c.req.header("authorization");
    const token = (options.anyClient ? await formBodyToken(c, realm, header) : undefined) ?? bearerToken(header);
    if (!token) {
      throw unauthorized(realm, "This route needs an access token as a Bearer token.", triedBearer(header));
    }
    let claims: AccessTokenClaims;
    try {
      claims = await tokens.verify(c.get("tenant"), token);
    } catch (error) {
      if (!(error instanceof InvalidTokenError)) throw error;
      // A newcomer's first try is often the key they already have: say what it is for.
      if (await constantTimeEqual(token, c.get("services").config.BOOTSTRAP_ADMIN_KEY)) {
        throw unauthorized(realm, BOOTSTRAP_KEY_HERE, true);
      }
      throw unauthorized(realm, error.reason, true);
    }
    if (isClientToken(claims)) {
      throw unauthorized(realm, "This route needs a user's access token, not a client's.", true);
    }
    // Revocation (logout, session deletion, admin, refresh-token reuse) reaches access tokens at once.
    if (await c.get("services").blocklist.isRevoked(claims)) {
      throw unauthorized(realm, "The token has been revoked.", true, "token_revoked");
    }
    if (!options.anyClient && !(await isOwnApp(c, claims.client_id))) {
      // RFC 6750 §3.1: a valid token without the right to this resource.
      throw errors.insufficientScope(
        realm,
        "A third-party client's token reaches only UserInfo; the account routes take the tenant's own apps' tokens.",
        null,
      );
    }
    c.set("auth", claims);
    actAs(c.get("scope"), { type: "user", id: claims.sub });
    await next();
    const headers = c.res.headers;
    // API.md: every 401 of a bearer-protected route challenges, one about something else too (a wrong current password).
    if (c.res.status === 401 && !headers.has("WWW-Authenticate")) {
      headers.set("WWW-Authenticate", `Bearer realm="${realm}"`);
    }
    // What a token opens is its user's own: no cache, shared or the browser's, keeps it (RFC 9111 §5.2.2.5),
    // unless the route chose its own Cache-Control.
    if (!headers.has("Cache-Control")) headers.set("Cache-Control", "no-store");
  };
}

/** The JSON API's tokens and a first-party client's (as the client is now: an admin may change that). */
async function isOwnApp(c: Context<AppEnv>, clientId: string): Promise<boolean> {
  if (clientId === FIRST_PARTY_CLIENT) return true;
  const client = await c.get("services").clients.find(c.get("tenant"), clientId);
  return client?.firstParty === true;
}

/**
 * RFC 6750 §2.2: `access_token` in a form-encoded POST body, when no header
 * carries one. Sent twice, or with an Authorization header, it is refused (§2).
 */
async function formBodyToken(c: Context<AppEnv>, realm: string, header: string | undefined) {
  if (c.req.method !== "POST" || !isFormType(c.req.header("content-type"))) return undefined;
  const sent = new URLSearchParams(await c.req.text()).getAll("access_token");
  if (sent.length === 0) return undefined;
  if (sent.length > 1 || header !== undefined) {
    throw new AppError(
      400,
      "invalid_request",
      "Bad request",
      "Send the access token once: in the header or the body.",
      {},
      {
        "WWW-Authenticate": `Bearer realm="${realm}", error="invalid_request"`,
      },
    );
  }
  return sent[0];
}

/** The user of a bearer-protected route's access token, read once a request (as the first call found it). */
export function tokenUser(c: Context<AppEnv>): Promise<UserRecord> {
  let user = c.get("tokenUser");
  if (!user) {
    user = c
      .get("services")
      .accounts.findUser(c.get("tenant"), c.get("auth").sub)
      .then((found) => {
        if (!found) throw errors.notFound("The user no longer exists.");
        return found;
      });
    c.set("tokenUser", user);
  }
  return user;
}
