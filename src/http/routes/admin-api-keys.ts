import { createRoute, z } from "@hono/zod-openapi";
import { ADMIN_SCOPE, MAX_SERVICE_KEYS } from "../../core/api-keys/key-scopes.js";
import { errors } from "../../core/errors.js";
import { acceptBody } from "../middleware/body.js";
import { requireServiceScope } from "../middleware/service-auth.js";
import { createRouter, problems } from "../openapi.js";
import { API_KEY_PAGES, apiKeyPage } from "../owned-listings.js";
import { FullPageQuerySchema, nextCursorField } from "../pagination.js";
import { TenantParamSchema, TenantResourceParamSchema, UUID_PATTERN } from "../schemas.js";
import { ApiKeySchema, apiKeyView, CreateApiKeySchema, CreatedApiKeySchema, newKeyInput } from "./api-keys.js";

const TenantApiKeySchema = ApiKeySchema.extend({
  user_id: z.string().uuid().nullable().openapi({ description: "The owner; null for a service key of the tenant" }),
}).openapi("TenantApiKey");

const adminOnly = { security: [{ bearer: [] }], tags: ["Administration"] };

const create = createRoute({
  ...adminOnly,
  method: "post",
  path: "/t/{tenant}/v1/admin/api-keys",
  summary: "Create a service key of the tenant (the key is in this response only)",
  description:
    "A key owned by the tenant rather than a person: it acts with exactly its scopes (any scope tokens, " +
    "`admin`, `tokens:introspect` and `api_keys:verify` included) and no user's change or removal ends it. " +
    "`api-keys/verify` answers `user_id: null` for it. A tenant holds at most " +
    `${MAX_SERVICE_KEYS} usable service keys (neither revoked nor expired): one more is 409 \`limit_reached\`.`,
  middleware: [requireServiceScope(ADMIN_SCOPE), acceptBody("json")] as const,
  request: {
    params: TenantParamSchema,
    body: { required: true, content: { "application/json": { schema: CreateApiKeySchema } } },
  },
  responses: {
    201: { description: "Created", content: { "application/json": { schema: CreatedApiKeySchema } } },
    ...problems(400, 401, 403, 404, 409, 413, 415),
  },
});

const list = createRoute({
  ...adminOnly,
  method: "get",
  path: "/t/{tenant}/v1/admin/api-keys",
  summary: "Every live API key of the tenant, users' and service keys (never the keys themselves), a page at a time",
  description: API_KEY_PAGES,
  middleware: [requireServiceScope(ADMIN_SCOPE)] as const,
  request: {
    params: TenantParamSchema,
    query: FullPageQuerySchema.extend({
      user_id: z.string().optional().openapi({ description: "Only this user's keys", format: "uuid" }),
    }),
  },
  responses: {
    200: {
      description: "Keys, newest first",
      content: {
        "application/json": {
          schema: z.object({ api_keys: z.array(TenantApiKeySchema), next_cursor: nextCursorField }),
        },
      },
    },
    ...problems(400, 401, 403, 404),
  },
});

const remove = createRoute({
  ...adminOnly,
  method: "delete",
  path: "/t/{tenant}/v1/admin/api-keys/{id}",
  summary: "Revoke any API key of the tenant; it stops working at once",
  middleware: [requireServiceScope(ADMIN_SCOPE)] as const,
  request: { params: TenantResourceParamSchema },
  responses: { 204: { description: "Revoked" }, ...problems(401, 403, 404) },
});

export const adminApiKeyRoutes = createRouter()
  .openapi(create, async (c) => {
    const { record, key } = await c
      .get("services")
      .apiKeys.createForTenant(c.get("tenant"), newKeyInput(c.req.valid("json")));
    const { last_used_at: _never, ...created } = apiKeyView(record);
    c.header("Cache-Control", "no-store");
    return c.json({ ...created, key }, 201);
  })
  .openapi(list, async (c) => {
    const { user_id: userId, ...query } = c.req.valid("query");
    if (userId !== undefined && !UUID_PATTERN.test(userId)) {
      throw errors.validation([{ path: "user_id", message: "must be a UUID" }]);
    }
    // Lower case, as ids are stored: the cursor's listing names the user.
    const owner = userId === undefined ? "any" : { userId: userId.toLowerCase() };
    const { rows, nextCursor } = await apiKeyPage(c.get("services"), c.get("tenant"), owner, query);
    return c.json(
      { api_keys: rows.map(({ key }) => ({ ...apiKeyView(key), user_id: key.userId })), next_cursor: nextCursor },
      200,
    );
  })
  .openapi(remove, async (c) => {
    const { id } = c.req.valid("param");
    const revoked = UUID_PATTERN.test(id) && (await c.get("services").apiKeys.revoke(c.get("tenant"), "any", id));
    if (!revoked) throw errors.notFound("No such API key.");
    return c.body(null, 204);
  });
