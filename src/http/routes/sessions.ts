import { createRoute, z } from "@hono/zod-openapi";
import { errors } from "../../core/errors.js";
import { REFRESH_TOKEN_MAX_LENGTH } from "../../core/sessions/refresh-token.js";
import { clearingDeadCookie, clearRefreshCookie, deliverTokens, refreshTokenFromCookie } from "../cookies.js";
import { requireAccessToken } from "../middleware/bearer.js";
import { acceptOptionalBody } from "../middleware/body.js";
import { createRouter, problem, problems, REFRESH_COOKIE } from "../openapi.js";
import { SESSION_PAGES, sessionPage } from "../owned-listings.js";
import { FullPageQuerySchema, nextCursorField } from "../pagination.js";
import { identifyRequest } from "../request-scope.js";
import {
  cookieFlag,
  SessionSchema,
  sessionView,
  TenantParamSchema,
  TenantResourceParamSchema,
  TokenResponseSchema,
  UUID_PATTERN,
} from "../schemas.js";

// Longer strings cannot be tokens; they are refused as invalid_grant like any other bad token.
const refreshToken = z
  .string()
  .max(REFRESH_TOKEN_MAX_LENGTH * 8)
  .optional();

const RefreshSchema = z
  .object({
    refresh_token: refreshToken.openapi({
      description: "Absent in cookie mode (the `__Host-refresh-{tenant}` cookie)",
    }),
    cookie: cookieFlag,
  })
  .openapi("Refresh");

const LogoutSchema = z.object({ refresh_token: refreshToken }).openapi("Logout");

const refresh = createRoute({
  method: "post",
  path: "/t/{tenant}/v1/token/refresh",
  tags: ["Sessions"],
  summary: "Spend a refresh token for a new pair",
  description:
    "The presented token is spent (RFC 9700 §4.14.2 rotation). A retry of the token just spent, within the grace " +
    "window, returns the same successor; a spent token after it revokes the whole session. By cookie, the " +
    "request needs an `Origin` of the tenant's redirect allowlist, and the answer stays in cookie mode; a cookie " +
    "refused as `invalid_grant` is dead for good, and the 401 clears it.",
  middleware: [acceptOptionalBody("json")] as const,
  request: {
    params: TenantParamSchema,
    body: { required: false, content: { "application/json": { schema: RefreshSchema } } },
  },
  responses: {
    200: {
      description: "A new pair",
      content: { "application/json": { schema: TokenResponseSchema } },
      headers: REFRESH_COOKIE,
    },
    ...problems(400, 401, 403, 404, 413, 415),
    // A dead refresh cookie is cleared by the 401 that refuses it.
    401: { ...problem("The refresh token is not usable (invalid_grant)"), headers: REFRESH_COOKIE },
  },
});

const logout = createRoute({
  method: "post",
  path: "/t/{tenant}/v1/logout",
  tags: ["Sessions"],
  summary: "End the caller's session",
  description:
    "Revokes the session of the access token: its refresh token stops working and its access tokens are refused " +
    "at once. A refresh token in the body or the cookie (which then needs an allowed `Origin`) of another of the " +
    "caller's sessions ends that one too; the cookie is cleared.",
  security: [{ bearer: [] }],
  middleware: [requireAccessToken(), acceptOptionalBody("json")] as const,
  request: {
    params: TenantParamSchema,
    body: { required: false, content: { "application/json": { schema: LogoutSchema } } },
  },
  responses: { 204: { description: "Logged out", headers: REFRESH_COOKIE }, ...problems(400, 401, 403, 404, 413, 415) },
});

const list = createRoute({
  method: "get",
  path: "/t/{tenant}/v1/sessions",
  tags: ["Sessions"],
  summary: "The caller's live sessions, a page at a time",
  description: SESSION_PAGES,
  security: [{ bearer: [] }],
  middleware: [requireAccessToken()] as const,
  request: { params: TenantParamSchema, query: FullPageQuerySchema },
  responses: {
    200: {
      description: "Sessions, most recently used first",
      content: {
        "application/json": { schema: z.object({ sessions: z.array(SessionSchema), next_cursor: nextCursorField }) },
      },
    },
    ...problems(400, 401, 403, 404),
  },
});

const remove = createRoute({
  method: "delete",
  path: "/t/{tenant}/v1/sessions/{id}",
  tags: ["Sessions"],
  summary: "Revoke one of the caller's sessions",
  security: [{ bearer: [] }],
  middleware: [requireAccessToken()] as const,
  request: { params: TenantResourceParamSchema },
  responses: { 204: { description: "Revoked" }, ...problems(401, 403, 404) },
});

export const sessionRoutes = createRouter()
  .openapi(refresh, async (c) => {
    const body = c.req.valid("json") ?? {};
    const fromCookie = body.refresh_token === undefined ? refreshTokenFromCookie(c) : undefined;
    const presented = body.refresh_token ?? fromCookie;
    if (presented === undefined) throw errors.invalidGrant("No refresh token was presented.");
    const response = await c
      .get("services")
      .sessions.refresh(c.get("tenant"), presented, c.get("scope").arrivedAt)
      .catch((error: unknown) => {
        throw fromCookie === undefined ? error : clearingDeadCookie(c, error);
      });
    identifyRequest(c.get("scope"), undefined, response.session_id);
    c.header("Cache-Control", "no-store");
    return c.json(deliverTokens(c, response, fromCookie !== undefined || body.cookie === true), 200);
  })
  .openapi(logout, async (c) => {
    const body = c.req.valid("json") ?? {};
    const fromCookie = body.refresh_token === undefined ? refreshTokenFromCookie(c) : undefined;
    await c.get("services").sessions.logout(c.get("tenant"), c.get("auth"), body.refresh_token ?? fromCookie);
    if (fromCookie !== undefined) clearRefreshCookie(c);
    return c.body(null, 204);
  })
  .openapi(list, async (c) => {
    const { sub, sid } = c.get("auth");
    const { rows, nextCursor } = await sessionPage(c.get("services"), c.get("tenant"), sub, c.req.valid("query"));
    return c.json({ sessions: rows.map((row) => sessionView(row.session, sid)), next_cursor: nextCursor }, 200);
  })
  .openapi(remove, async (c) => {
    const { id } = c.req.valid("param");
    const { sessions } = c.get("services");
    // Another user's session, or one of another tenant, answers 404 as if absent (API.md).
    const session = UUID_PATTERN.test(id) ? await sessions.find(c.get("tenant"), id) : null;
    if (!session || session.userId !== c.get("auth").sub || session.revokedAt)
      throw errors.notFound("No such session.");
    // The stored id, not the path's: a UUID may arrive in upper case, and Redis keys are exact.
    await sessions.revoke(c.get("tenant"), session.id, "deleted_by_user");
    return c.body(null, 204);
  });
