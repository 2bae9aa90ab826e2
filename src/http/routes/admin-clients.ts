import { createRoute, z } from "@hono/zod-openapi";
import { ADMIN_SCOPE } from "../../core/api-keys/key-scopes.js";
import { errors } from "../../core/errors.js";
import type { OAuthClient } from "../../core/oidc/client-types.js";
import {
  DEFAULT_CLIENT_SCOPES,
  DEFAULT_GRANT_TYPES,
  DEFAULT_SECRET_OVERLAP_SECONDS,
  MAX_CLIENTS,
  MAX_SECRET_OVERLAP_SECONDS,
} from "../../core/oidc/clients.js";
import { ACCESS_TOKEN_TTL_RANGE, SESSION_IDLE_TTL_RANGE } from "../../core/tenant-settings.js";
import { acceptBody, acceptOptionalBody } from "../middleware/body.js";
import { requireServiceScope } from "../middleware/service-auth.js";
import { CREATED_LOCATION, createRouter, problems } from "../openapi.js";
import { clientPage } from "../owned-listings.js";
import { FullPageQuerySchema, nextCursorField } from "../pagination.js";
import { ScopeSchema, shownName, singleLine, TenantParamSchema } from "../schemas.js";

const GRANT_TYPES = ["authorization_code", "refresh_token", "client_credentials"] as const;

const uriList = (description: string) =>
  z
    .array(singleLine().max(2048, "must be at most 2048 characters"))
    .max(100, "must have at most 100 entries")
    .openapi({ description });
const ttl = (range: { min: number; max: number }, description: string) =>
  z.number().int().min(range.min).max(range.max).nullable().openapi({ description });

/** Every field an admin sets, at creation (name, type, redirect_uris required) or in a PATCH (any). */
const clientFields = {
  name: shownName().min(1, "must not be empty").max(200, "must be at most 200 characters"),
  type: z.enum(["public", "confidential"]).openapi({
    description: "confidential: a server that keeps a secret; public: a browser or native app (PKCE only)",
  }),
  redirect_uris: uriList(
    "Exact URIs (compared as strings): https, http on a loopback host, or a native app's private-use scheme; " +
      "no fragment. Needed for authorization_code.",
  ),
  post_logout_redirect_uris: uriList("Where RP-initiated logout may return (exact, same rules)").optional(),
  grant_types: z
    .array(z.enum(GRANT_TYPES))
    .min(1, "must not be empty")
    .max(GRANT_TYPES.length)
    .optional()
    .openapi({ description: `Default ${JSON.stringify(DEFAULT_GRANT_TYPES)}; client_credentials: confidential only` }),
  scopes: z
    .array(ScopeSchema)
    .max(50, "must have at most 50 entries")
    .optional()
    .openapi({ description: `Scopes the client may ask for; default ${JSON.stringify(DEFAULT_CLIENT_SCOPES)}` }),
  first_party: z.boolean().optional().openapi({ description: "First-party clients skip the consent page" }),
  access_token_ttl: ttl(ACCESS_TOKEN_TTL_RANGE, "Seconds; null or absent for the tenant's default").optional(),
  refresh_token_ttl: ttl(SESSION_IDLE_TTL_RANGE, "Seconds; null or absent for the tenant's default").optional(),
};

// Fields the routes do not know (a chosen secret or id) are refused rather than dropped without a word.
const CreateClientSchema = z.object(clientFields).strict().openapi("ClientInput");
const UpdateClientSchema = z
  .object({
    ...clientFields,
    name: clientFields.name.optional(),
    type: clientFields.type.optional().openapi({
      description:
        "To confidential: a new secret, in this response only. To public: the secret is removed and every session " +
        "and token issued to the client is revoked. The current type keeps the secret and the sessions as they are.",
    }),
    redirect_uris: clientFields.redirect_uris.optional(),
  })
  .strict()
  .openapi("ClientChanges");

const ClientSchema = z
  .object({
    client_id: z.string(),
    name: z.string(),
    type: z.enum(["public", "confidential"]),
    redirect_uris: z.array(z.string()),
    post_logout_redirect_uris: z.array(z.string()),
    grant_types: z.array(z.enum(GRANT_TYPES)),
    scopes: z.array(z.string()),
    first_party: z.boolean(),
    access_token_ttl: z.number().int().nullable(),
    refresh_token_ttl: z.number().int().nullable(),
    created_at: z.string().datetime(),
    updated_at: z.string().datetime(),
  })
  .openapi("Client");

const ClientWithSecretSchema = ClientSchema.extend({
  client_secret: z.string().optional().openapi({ description: "Confidential clients only; shown this once" }),
}).openapi("ClientWithSecret");

const ChangedClientSchema = ClientSchema.extend({
  client_secret: z
    .string()
    .optional()
    .openapi({ description: "Only when this change made the client confidential: its new secret, shown this once" }),
}).openapi("ChangedClient");

const clientView = (client: OAuthClient) => ({
  client_id: client.clientId,
  name: client.name,
  type: client.type,
  redirect_uris: client.redirectUris,
  post_logout_redirect_uris: client.postLogoutRedirectUris,
  grant_types: client.grantTypes,
  scopes: client.scopes,
  first_party: client.firstParty,
  access_token_ttl: client.accessTokenTtl,
  refresh_token_ttl: client.refreshTokenTtl,
  created_at: client.createdAt.toISOString(),
  updated_at: client.updatedAt.toISOString(),
});

/** The request's fields in the core's words; absent ones stay undefined (defaults, or unchanged). */
const clientInput = (body: z.infer<typeof UpdateClientSchema>) => ({
  name: body.name,
  type: body.type,
  redirectUris: body.redirect_uris,
  postLogoutRedirectUris: body.post_logout_redirect_uris,
  grantTypes: body.grant_types,
  scopes: body.scopes,
  firstParty: body.first_party,
  accessTokenTtl: body.access_token_ttl,
  refreshTokenTtl: body.refresh_token_ttl,
});

const ClientParamSchema = TenantParamSchema.extend({
  client_id: z.string().openapi({ param: { name: "client_id", in: "path" }, example: "k3ZP5mRlQp2x0vYc7uT1bA" }),
});

const adminOnly = { security: [{ bearer: [] }], tags: ["OpenID Provider"] };
const clientJson = { "application/json": { schema: ClientSchema } };

const create = createRoute({
  ...adminOnly,
  method: "post",
  path: "/t/{tenant}/v1/admin/clients",
  summary: "Register an OAuth 2.0 / OpenID Connect client (a confidential client's secret is in this response only)",
  description: `A tenant holds at most ${MAX_CLIENTS} clients (deleted ones aside): one more is 409 \`limit_reached\`.`,
  middleware: [requireServiceScope(ADMIN_SCOPE), acceptBody("json")] as const,
  request: {
    params: TenantParamSchema,
    body: { required: true, content: { "application/json": { schema: CreateClientSchema } } },
  },
  responses: {
    201: {
      description: "Registered; Location is its GET route",
      headers: CREATED_LOCATION,
      content: { "application/json": { schema: ClientWithSecretSchema } },
    },
    ...problems(400, 401, 403, 404, 409, 413, 415),
  },
});

const list = createRoute({
  ...adminOnly,
  method: "get",
  path: "/t/{tenant}/v1/admin/clients",
  summary: "The tenant's clients, newest first (never a secret), a page at a time",
  description:
    "`limit` (default 100) a page; `next_cursor` continues (null on the last page). Clients registered meanwhile " +
    "never make a client appear twice or go missing.",
  middleware: [requireServiceScope(ADMIN_SCOPE)] as const,
  request: { params: TenantParamSchema, query: FullPageQuerySchema },
  responses: {
    200: {
      description: "Clients, newest first",
      content: {
        "application/json": { schema: z.object({ clients: z.array(ClientSchema), next_cursor: nextCursorField }) },
      },
    },
    ...problems(400, 401, 403, 404),
  },
});

const read = createRoute({
  ...adminOnly,
  method: "get",
  path: "/t/{tenant}/v1/admin/clients/{client_id}",
  summary: "One client (never its secret)",
  middleware: [requireServiceScope(ADMIN_SCOPE)] as const,
  request: { params: ClientParamSchema },
  responses: { 200: { description: "The client", content: clientJson }, ...problems(401, 403, 404) },
});

const update = createRoute({
  ...adminOnly,
  method: "patch",
  path: "/t/{tenant}/v1/admin/clients/{client_id}",
  summary: "Change any of a client's fields (a new type brings a new secret, or revokes the client's sessions)",
  description:
    "The client after the change must satisfy the same rules as a new one (`grant_types` are checked against the " +
    "new type). A public client made confidential gets a new `client_secret`, in this response only, and must " +
    "authenticate from then on; a confidential client made public loses its secret, and every session and token " +
    "issued to it is revoked, as they were bound to its authentication (RFC 6749 §10.4). Should its type keep " +
    "changing under the request, it answers 409 concurrent_change with Retry-After (nothing changed).",
  middleware: [requireServiceScope(ADMIN_SCOPE), acceptBody("json")] as const,
  request: {
    params: ClientParamSchema,
    body: { required: true, content: { "application/json": { schema: UpdateClientSchema } } },
  },
  responses: {
    200: { description: "The changed client", content: { "application/json": { schema: ChangedClientSchema } } },
    ...problems(400, 401, 403, 404, 409, 413, 415),
  },
});

const remove = createRoute({
  ...adminOnly,
  method: "delete",
  path: "/t/{tenant}/v1/admin/clients/{client_id}",
  summary: "Delete a client; every session issued to it, and its own tokens (client credentials), are revoked at once",
  middleware: [requireServiceScope(ADMIN_SCOPE)] as const,
  request: { params: ClientParamSchema },
  responses: { 204: { description: "Deleted" }, ...problems(401, 403, 404) },
});

const rotateSecret = createRoute({
  ...adminOnly,
  method: "post",
  path: "/t/{tenant}/v1/admin/clients/{client_id}/rotate-secret",
  summary: "A new secret for a confidential client (in this response only); the old one keeps working for an overlap",
  description:
    `The replaced secret is accepted for \`overlap_seconds\` more (default ${DEFAULT_SECRET_OVERLAP_SECONDS}, ` +
    `at most ${MAX_SECRET_OVERLAP_SECONDS}; 0 ends it now). A secret replaced by an earlier rotation stops now.`,
  middleware: [requireServiceScope(ADMIN_SCOPE), acceptOptionalBody("json")] as const,
  request: {
    params: ClientParamSchema,
    body: {
      required: false,
      content: {
        "application/json": {
          // Strict: a misspelt `overlap_seconds` dropped would apply the default and keep a leaked secret a day.
          schema: z
            .object({ overlap_seconds: z.number().int().min(0).max(MAX_SECRET_OVERLAP_SECONDS).optional() })
            .strict(),
        },
      },
    },
  },
  responses: {
    200: {
      description: "The new secret",
      content: { "application/json": { schema: ClientWithSecretSchema.required({ client_secret: true }) } },
    },
    ...problems(400, 401, 403, 404, 413, 415),
  },
});

const noSuchClient = () => errors.notFound("No such client.");

export const adminClientRoutes = createRouter()
  .openapi(create, async (c) => {
    const body = c.req.valid("json");
    const { client, secret } = await c.get("services").clients.create(c.get("tenant"), {
      ...clientInput(body),
      name: body.name,
      type: body.type,
      redirectUris: body.redirect_uris,
    });
    c.header("Cache-Control", "no-store");
    c.header("Location", `/t/${c.get("tenant").slug}/v1/admin/clients/${client.clientId}`);
    return c.json({ ...clientView(client), ...(secret === null ? {} : { client_secret: secret }) }, 201);
  })
  .openapi(list, async (c) => {
    const { rows, nextCursor } = await clientPage(c.get("services"), c.get("tenant"), c.req.valid("query"));
    return c.json({ clients: rows.map((row) => clientView(row.client)), next_cursor: nextCursor }, 200);
  })
  .openapi(read, async (c) => {
    const client = await c.get("services").clients.find(c.get("tenant"), c.req.valid("param").client_id);
    if (!client) throw noSuchClient();
    return c.json(clientView(client), 200);
  })
  .openapi(update, async (c) => {
    const { client_id: clientId } = c.req.valid("param");
    const updated = await c.get("services").clients.update(c.get("tenant"), clientId, clientInput(c.req.valid("json")));
    if (!updated) throw noSuchClient();
    if (updated.secret === null) return c.json(clientView(updated.client), 200);
    c.header("Cache-Control", "no-store");
    return c.json({ ...clientView(updated.client), client_secret: updated.secret }, 200);
  })
  .openapi(remove, async (c) => {
    if (!(await c.get("services").clients.delete(c.get("tenant"), c.req.valid("param").client_id)))
      throw noSuchClient();
    return c.body(null, 204);
  })
  .openapi(rotateSecret, async (c) => {
    const { client_id: clientId } = c.req.valid("param");
    // The body is optional: without one there is nothing validated.
    const overlap = c.req.valid("json")?.overlap_seconds ?? DEFAULT_SECRET_OVERLAP_SECONDS;
    const rotated = await c.get("services").clients.rotateSecret(c.get("tenant"), clientId, overlap);
    if (!rotated?.secret) throw noSuchClient();
    c.header("Cache-Control", "no-store");
    return c.json({ ...clientView(rotated.client), client_secret: rotated.secret }, 200);
  });
