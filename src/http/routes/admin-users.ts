import { createRoute, z } from "@hono/zod-openapi";
import { ADMIN_SCOPE } from "../../core/api-keys/key-scopes.js";
import { errors } from "../../core/errors.js";
import { acceptBody } from "../middleware/body.js";
import { requireServiceScope } from "../middleware/service-auth.js";
import { createRouter, problems } from "../openapi.js";
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
    200: { description: "The user", content: { "application/json": { schema: AdminUserSchema } } },
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
    "with 403 `account_disabled`. Enabling the user again does not bring the revoked keys back.",
  middleware: [requireServiceScope(ADMIN_SCOPE), acceptBody("json")] as const,
  request: {
    params: TenantResourceParamSchema,
    body: { required: true, content: { "application/json": { schema: UserChangesSchema } } },
  },
  responses: {
    200: { description: "The changed user", content: { "application/json": { schema: AdminUserSchema } } },
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
    "The email address is free for a new account.",
  middleware: [requireServiceScope(ADMIN_SCOPE)] as const,
  request: { params: TenantResourceParamSchema },
  responses: { 204: { description: "Deleted" }, ...problems(401, 403, 404) },
});

const userIdOf = (id: string) => {
  if (!UUID_PATTERN.test(id)) throw errors.notFound("No such user.");
  return id.toLowerCase();
};

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
    return c.json(await userAdmin.view(user), 200);
  })
  .openapi(patchUser, async (c) => {
    const body = c.req.valid("json");
    const { userAdmin } = c.get("services");
    const user = await userAdmin.update(c.get("tenant"), userIdOf(c.req.valid("param").id), {
      scopes: body.scopes === undefined ? undefined : [...new Set(body.scopes)],
      disabled: body.disabled,
      emailVerified: body.email_verified,
      name: body.name === undefined ? undefined : body.name || null,
    });
    if (!user) throw errors.notFound("No such user.");
    return c.json(await userAdmin.view(user), 200);
  })
  .openapi(deleteUser, async (c) => {
    if (!(await c.get("services").userAdmin.delete(c.get("tenant"), userIdOf(c.req.valid("param").id)))) {
      throw errors.notFound("No such user.");
    }
    return c.body(null, 204);
  });
