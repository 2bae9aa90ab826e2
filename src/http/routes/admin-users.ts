import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { ADMIN_SCOPE } from "../../core/api-keys/key-scopes.js";
import { errors } from "../../core/errors.js";
import type { AppEnv } from "../context.js";
import { representationTag, tagged } from "../etag.js";
import { acceptBody } from "../middleware/body.js";
import { comparesEntityTags, ifMatchBasis } from "../middleware/preconditions.js";
import { requireServiceScope } from "../middleware/service-auth.js";
import { createRouter, ETAG, NOT_MODIFIED, problems } from "../openapi.js";
import { SESSION_PAGES, sessionPage } from "../owned-listings.js";
import { FullPageQuerySchema, nextCursorField, PageQuerySchema } from "../pagination.js";
import {
  ScopeSchema,
  SessionSchema,
  sessionView,
  singleLine,
  TenantParamSchema,
  TenantResourceParamSchema,
  UserSchema,
  UUID_PATTERN,
} from "../schemas.js";

const AdminUserSchema = UserSchema.extend({
  scopes: z.array(z.string()).openapi({ description: "Scopes held beyond the defaults every token carries" }),
  disabled: z.boolean(),
  updated_at: z.string().datetime(),
  last_login_at: z.string().datetime().nullable(),
}).openapi("AdminUser");

const UserChangesSchema = z
  .object({
    scopes: z.array(ScopeSchema).max(50, "must have at most 50 entries").optional(),
    disabled: z.boolean().optional(),
    email_verified: z.boolean().optional(),
    name: singleLine().trim().max(200, "must be at most 200 characters").nullable().optional(),
  })
  .strict()
  .openapi("UserChanges");

const adminOnly = { security: [{ bearer: [] }], tags: ["Administration"] };

const ListUsersQuery = PageQuerySchema.extend({
  email: z.string().max(320).optional().openapi({ description: "Only the user with this address (normalised)" }),
});

const listUsers = createRoute({
  ...adminOnly,
  method: "get",
  path: "/t/{tenant}/v1/admin/users",
  summary: "The tenant's users, newest first, a page at a time",
  description:
    "Pages follow `next_cursor` (null on the last page); users signing up meanwhile never make a user appear twice " +
    "or go missing. `email` finds the one user with that address, as the service normalises it. Deleted users are " +
    "never listed.",
  middleware: [requireServiceScope(ADMIN_SCOPE)] as const,
  request: { params: TenantParamSchema, query: ListUsersQuery },
  responses: {
    200: {
      description: "A page of users",
      content: {
        "application/json": {
          schema: z.object({ users: z.array(AdminUserSchema), next_cursor: nextCursorField }),
        },
      },
    },
    ...problems(400, 401, 403, 404),
  },
});

const userSessions = createRoute({
  ...adminOnly,
  method: "get",
  path: "/t/{tenant}/v1/admin/users/{id}/sessions",
  summary: "A user's live sessions, a page at a time",
  description: `${SESSION_PAGES} \`current\` is false for every one (the caller is not the user).`,
  middleware: [requireServiceScope(ADMIN_SCOPE)] as const,
  request: { params: TenantResourceParamSchema, query: FullPageQuerySchema },
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

const getUser = createRoute({
  ...adminOnly,
  method: "get",
  path: "/t/{tenant}/v1/admin/users/{id}",
  summary: "A user, with scopes and state",
  middleware: [requireServiceScope(ADMIN_SCOPE)] as const,
  request: { params: TenantResourceParamSchema },
  responses: {
    200: { description: "The user", headers: ETAG, content: { "application/json": { schema: AdminUserSchema } } },
    ...NOT_MODIFIED,
    ...problems(401, 403, 404),
  },
});

const patchUser = createRoute({
  ...adminOnly,
  method: "patch",
  path: "/t/{tenant}/v1/admin/users/{id}",
  summary: "Change a user's scopes, state, verification or name",
  description:
    "New scopes apply from the user's next token (a refresh included). Disabling revokes every session at once " +
    "(access tokens stop at every route) and every API key of the user (they stop at once), and refuses logins " +
    "with 403 `account_disabled`. Enabling the user again does not bring the revoked keys back. The ETag covers " +
    "`last_login_at` too: a login changes it.",
  middleware: [comparesEntityTags, requireServiceScope(ADMIN_SCOPE), acceptBody("json")] as const,
  request: {
    params: TenantResourceParamSchema,
    body: { required: true, content: { "application/json": { schema: UserChangesSchema } } },
  },
  responses: {
    200: {
      description: "The changed user",
      headers: ETAG,
      content: { "application/json": { schema: AdminUserSchema } },
    },
    ...problems(400, 401, 403, 404, 413, 415),
  },
});

const deleteUser = createRoute({
  ...adminOnly,
  method: "delete",
  path: "/t/{tenant}/v1/admin/users/{id}",
  summary: "Delete a user and erase their personal data",
  description:
    "Every session and API key of the user ends at once; refresh and introspection treat them as inactive. " +
    "The user's email address, name, password hash, linked identities' profiles, second factors, recovery codes, " +
    "consents and pending mailed links are erased with it; only the id remains (audit trail, sessions). " +
    "The email address is free for a new account. With If-Match, a stale ETag is 412 and nothing is erased or ended.",
  middleware: [comparesEntityTags, requireServiceScope(ADMIN_SCOPE)] as const,
  request: { params: TenantResourceParamSchema },
  responses: { 204: { description: "Deleted" }, ...problems(401, 403, 404) },
});

const userIdOf = (id: string) => {
  if (!UUID_PATTERN.test(id)) throw errors.notFound("No such user.");
  return id.toLowerCase();
};

/** The stored user when If-Match names the ETag of its AdminUser view (ifMatchBasis). */
const userBasis = (c: Context<AppEnv>, userId: string) =>
  ifMatchBasis(
    c,
    () => c.get("services").accounts.findUser(c.get("tenant"), userId),
    async (user) => representationTag(c, await c.get("services").userAdmin.view(user)),
  );

export const adminUserRoutes = createRouter()
  .openapi(listUsers, async (c) => {
    const { email, limit, cursor } = c.req.valid("query");
    const { userAdmin } = c.get("services");
    const page = await userAdmin.list(c.get("tenant"), { email, limit: limit ?? 50, cursor });
    const users = await Promise.all(page.users.map((user) => userAdmin.view(user)));
    return c.json({ users, next_cursor: page.nextCursor }, 200);
  })
  .openapi(userSessions, async (c) => {
    const services = c.get("services");
    const user = await services.accounts.findUser(c.get("tenant"), userIdOf(c.req.valid("param").id));
    if (!user) throw errors.notFound("No such user.");
    const { rows, nextCursor } = await sessionPage(services, c.get("tenant"), user.id, c.req.valid("query"));
    return c.json({ sessions: rows.map((row) => sessionView(row.session, null)), next_cursor: nextCursor }, 200);
  })
  .openapi(getUser, async (c) => {
    const { accounts, userAdmin } = c.get("services");
    const user = await accounts.findUser(c.get("tenant"), userIdOf(c.req.valid("param").id));
    if (!user) throw errors.notFound("No such user.");
    const view = await userAdmin.view(user);
    if (await tagged(c, view)) return c.body(null, 304);
    return c.json(view, 200);
  })
  .openapi(patchUser, async (c) => {
    const body = c.req.valid("json");
    const { userAdmin } = c.get("services");
    const userId = userIdOf(c.req.valid("param").id);
    const basis = await userBasis(c, userId);
    const changes = {
      scopes: body.scopes === undefined ? undefined : [...new Set(body.scopes)],
      disabled: body.disabled,
      emailVerified: body.email_verified,
      name: body.name === undefined ? undefined : body.name || null,
    };
    const user = await userAdmin.update(c.get("tenant"), userId, changes, basis);
    if (!user) throw errors.notFound("No such user.");
    const view = await userAdmin.view(user);
    await tagged(c, view);
    return c.json(view, 200);
  })
  .openapi(deleteUser, async (c) => {
    const userId = userIdOf(c.req.valid("param").id);
    const basis = await userBasis(c, userId);
    if (!(await c.get("services").userAdmin.delete(c.get("tenant"), userId, basis))) {
      throw errors.notFound("No such user.");
    }
    return c.body(null, 204);
  });
