import { createRoute, z } from "@hono/zod-openapi";
import { FRESH_LOGIN_MS, isPowerful, MAX_USER_KEYS, SERVICE_SCOPES } from "../../core/api-keys/key-scopes.js";
import { errors } from "../../core/errors.js";
import type { ApiKeyRecord } from "../../core/ports/database.js";
import { inBackground } from "../background.js";
import { requireAccessToken, tokenUser } from "../middleware/bearer.js";
import { acceptBody } from "../middleware/body.js";
import { requireServiceScope } from "../middleware/service-auth.js";
import { createRouter, problems } from "../openapi.js";
import { API_KEY_PAGES, apiKeyPage } from "../owned-listings.js";
import { FullPageQuerySchema, nextCursorField } from "../pagination.js";
import { ScopeSchema, singleLine, TenantParamSchema, TenantResourceParamSchema, UUID_PATTERN } from "../schemas.js";

export const CreateApiKeySchema = z
  .object({
    name: singleLine().trim().min(1, "must not be empty").max(200, "must be at most 200 characters"),
    scopes: z.array(ScopeSchema).max(50, "must have at most 50 entries"),
    expires_at: z.string().datetime({ offset: true, message: "must be an RFC 3339 timestamp" }).optional(),
  })
  // A field the route does not know (an owner, a chosen key) would be ignored, and the key made without it.
  .strict()
  .openapi("CreateApiKey");

export const ApiKeySchema = z
  .object({
    id: z.string().uuid(),
    prefix: z.string().openapi({ description: "The key's first characters, to tell keys apart" }),
    name: z.string(),
    scopes: z.array(z.string()),
    created_at: z.string().datetime(),
    last_used_at: z.string().datetime().nullable().openapi({ description: "Updated at most once a minute" }),
    expires_at: z.string().datetime().nullable(),
  })
  .openapi("ApiKey");

export const CreatedApiKeySchema = ApiKeySchema.omit({ last_used_at: true })
  .extend({ key: z.string().openapi({ description: "The key itself: shown in this response only" }) })
  .openapi("CreatedApiKey");

const VerifySchema = z.object({ key: z.string().max(256) }).openapi("VerifyApiKey");
const VerifiedSchema = z
  .object({
    valid: z.boolean(),
    key_id: z.string().uuid().optional(),
    user_id: z.string().uuid().nullable().optional().openapi({ description: "Null for a service key of the tenant" }),
    tenant_id: z.string().uuid().optional(),
    scopes: z.array(z.string()).optional(),
    expires_at: z.string().datetime().nullable().optional(),
  })
  .openapi("VerifiedApiKey");

const bearer = { security: [{ bearer: [] }] };

const create = createRoute({
  method: "post",
  path: "/t/{tenant}/v1/api-keys",
  tags: ["API keys"],
  summary: "Create an API key (the key is in this response only)",
  description:
    "A key may hold the scopes its owner holds now that the presenting access token also carries (its `scope`: " +
    "a scope the owner gained since comes with their next token; otherwise 403 `forbidden`); " +
    `\`admin\` and the service scopes (${SERVICE_SCOPES.join(", ")}) only with \`admin\` and a login within ` +
    `the last ${FRESH_LOGIN_MS / 60_000} minutes (the token's \`auth_time\`; otherwise 403 ` +
    "`reauthentication_required`). A user with a second factor must also have completed it in that login, and " +
    "a user without one whom the tenant's MFA policy binds must have met the policy there (otherwise 403 " +
    "`step_up_required`). A user holds at most " +
    `${MAX_USER_KEYS} usable keys (neither revoked nor expired): one more is 409 \`limit_reached\`.`,
  ...bearer,
  middleware: [requireAccessToken(), acceptBody("json")] as const,
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
  method: "get",
  path: "/t/{tenant}/v1/api-keys",
  tags: ["API keys"],
  summary: "The caller's API keys (never the keys themselves), a page at a time",
  description: API_KEY_PAGES,
  ...bearer,
  middleware: [requireAccessToken()] as const,
  request: { params: TenantParamSchema, query: FullPageQuerySchema },
  responses: {
    200: {
      description: "Keys, newest first",
      content: {
        "application/json": { schema: z.object({ api_keys: z.array(ApiKeySchema), next_cursor: nextCursorField }) },
      },
    },
    ...problems(400, 401, 403, 404),
  },
});

const remove = createRoute({
  method: "delete",
  path: "/t/{tenant}/v1/api-keys/{id}",
  tags: ["API keys"],
  summary: "Revoke one of the caller's API keys; it stops working at once",
  ...bearer,
  middleware: [requireAccessToken()] as const,
  request: { params: TenantResourceParamSchema },
  responses: { 204: { description: "Revoked" }, ...problems(401, 403, 404) },
});

const verify = createRoute({
  method: "post",
  path: "/t/{tenant}/v1/api-keys/verify",
  tags: ["API keys"],
  summary: "Check an API key (caller: API key with scope api_keys:verify)",
  ...bearer,
  middleware: [requireServiceScope("api_keys:verify"), acceptBody("json")] as const,
  request: {
    params: TenantParamSchema,
    body: { required: true, content: { "application/json": { schema: VerifySchema } } },
  },
  responses: {
    200: { description: "The verdict", content: { "application/json": { schema: VerifiedSchema } } },
    ...problems(400, 401, 403, 404, 413, 415),
  },
});

export const apiKeyView = (key: ApiKeyRecord) => ({
  id: key.id,
  prefix: key.prefix,
  name: key.name,
  scopes: key.scopes,
  created_at: key.createdAt.toISOString(),
  last_used_at: key.lastUsedAt?.toISOString() ?? null,
  expires_at: key.expiresAt?.toISOString() ?? null,
});

/** What a creation body asks for, as ApiKeyService takes it. */
export const newKeyInput = (body: z.infer<typeof CreateApiKeySchema>) => ({
  name: body.name,
  scopes: body.scopes,
  expiresAt: body.expires_at ? new Date(body.expires_at) : null,
});

export const apiKeyRoutes = createRouter()
  .openapi(create, async (c) => {
    const body = c.req.valid("json");
    const { apiKeys } = c.get("services");
    const owner = await tokenUser(c);
    const auth = c.get("auth");
    if (body.scopes.some(isPowerful)) await c.get("services").stepUp.require(c.get("tenant"), owner, auth);
    // Every user's token has auth_time (client tokens never reach user routes); without it nothing is recent.
    const authenticatedAt = new Date((auth.auth_time ?? 0) * 1000);
    const { record, key } = await apiKeys.createForUser(
      c.get("tenant"),
      { user: owner, authenticatedAt, tokenScope: auth.scope },
      newKeyInput(body),
    );
    const { last_used_at: _never, ...created } = apiKeyView(record);
    c.header("Cache-Control", "no-store");
    return c.json({ ...created, key }, 201);
  })
  .openapi(list, async (c) => {
    const owner = { userId: c.get("auth").sub };
    const { rows, nextCursor } = await apiKeyPage(c.get("services"), c.get("tenant"), owner, c.req.valid("query"));
    return c.json({ api_keys: rows.map((row) => apiKeyView(row.key)), next_cursor: nextCursor }, 200);
  })
  .openapi(remove, async (c) => {
    const { id } = c.req.valid("param");
    const revoked =
      UUID_PATTERN.test(id) &&
      (await c.get("services").apiKeys.revoke(c.get("tenant"), { userId: c.get("auth").sub }, id));
    if (!revoked) throw errors.notFound("No such API key.");
    return c.body(null, 204);
  })
  .openapi(verify, async (c) => {
    const { key } = c.req.valid("json");
    const found = await c.get("services").apiKeys.verify(c.get("tenant"), key, inBackground(c));
    if (!found) return c.json({ valid: false }, 200);
    return c.json(
      {
        valid: true,
        key_id: found.id,
        user_id: found.userId,
        tenant_id: found.tenantId,
        scopes: found.scopes,
        expires_at: found.expiresAt?.toISOString() ?? null,
      },
      200,
    );
  });
