import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { ADMIN_SCOPE } from "../../core/api-keys/key-scopes.js";
import { errors } from "../../core/errors.js";
import type { OAuthClient } from "../../core/oidc/client-types.js";
import { DEFAULT_SECRET_OVERLAP_SECONDS, MAX_CLIENTS, MAX_SECRET_OVERLAP_SECONDS } from "../../core/oidc/clients.js";
import type { AppEnv } from "../context.js";
import { notModified, representationTag } from "../etag.js";
import { acceptBody, acceptOptionalBody } from "../middleware/body.js";
import { comparesEntityTags, ifMatchBasis } from "../middleware/preconditions.js";
import { requireServiceScope } from "../middleware/service-auth.js";
import { CREATED_LOCATION, createRouter, ETAG, NOT_MODIFIED, problems } from "../openapi.js";
import { clientPage } from "../owned-listings.js";
import { FullPageQuerySchema, nextCursorField } from "../pagination.js";
import { TenantParamSchema } from "../schemas.js";
import {
  adminOnly,
  ChangedClientSchema,
  ClientParamSchema,
  ClientSchema,
  ClientWithSecretSchema,
  CreateClientSchema,
  clientInput,
  clientJson,
  clientView,
  UpdateClientSchema,
} from "./admin-client-schemas.js";

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
  responses: {
    200: { description: "The client", headers: ETAG, content: clientJson },
    ...NOT_MODIFIED,
    ...problems(401, 403, 404),
  },
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
  middleware: [comparesEntityTags, requireServiceScope(ADMIN_SCOPE), acceptBody("json")] as const,
  request: {
    params: ClientParamSchema,
    body: { required: true, content: { "application/json": { schema: UpdateClientSchema } } },
  },
  responses: {
    200: {
      description: "The changed client",
      headers: ETAG,
      content: { "application/json": { schema: ChangedClientSchema } },
    },
    ...problems(400, 401, 403, 404, 409, 413, 415),
  },
});

const remove = createRoute({
  ...adminOnly,
  method: "delete",
  path: "/t/{tenant}/v1/admin/clients/{client_id}",
  summary: "Delete a client; every session issued to it, and its own tokens (client credentials), are revoked at once",
  middleware: [comparesEntityTags, requireServiceScope(ADMIN_SCOPE)] as const,
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
  middleware: [comparesEntityTags, requireServiceScope(ADMIN_SCOPE), acceptOptionalBody("json")] as const,
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
      description: "The new secret; the ETag is the client's (the rotation changes it)",
      headers: ETAG,
      content: { "application/json": { schema: ClientWithSecretSchema.required({ client_secret: true }) } },
    },
    ...problems(400, 401, 403, 404, 413, 415),
  },
});

const noSuchClient = () => errors.notFound("No such client.");

/** A client's ETag: its view and its secret's hash, so a new secret changes it. */
const clientTag = (c: Context<AppEnv>, client: OAuthClient, secretHash: string | null) =>
  representationTag(c, clientView(client), secretHash ?? "");

/** The stored client when If-Match names its ETag (ifMatchBasis). */
const clientBasis = (c: Context<AppEnv>, clientId: string) =>
  ifMatchBasis(
    c,
    () => c.get("services").clients.record(c.get("tenant"), clientId),
    (client) => clientTag(c, client, client.secretHash),
  );

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
    const client = await c.get("services").clients.record(c.get("tenant"), c.req.valid("param").client_id);
    if (!client) throw noSuchClient();
    const etag = await clientTag(c, client, client.secretHash);
    c.header("ETag", etag);
    if (notModified(c, etag)) return c.body(null, 304);
    return c.json(clientView(client), 200);
  })
  .openapi(update, async (c) => {
    const { client_id: clientId } = c.req.valid("param");
    const basis = await clientBasis(c, clientId);
    const input = clientInput(c.req.valid("json"));
    const updated = await c.get("services").clients.update(c.get("tenant"), clientId, input, basis);
    if (!updated) throw noSuchClient();
    c.header("ETag", await clientTag(c, updated.client, updated.secretHash));
    if (updated.secret === null) return c.json(clientView(updated.client), 200);
    c.header("Cache-Control", "no-store");
    return c.json({ ...clientView(updated.client), client_secret: updated.secret }, 200);
  })
  .openapi(remove, async (c) => {
    const { client_id: clientId } = c.req.valid("param");
    const basis = await clientBasis(c, clientId);
    if (!(await c.get("services").clients.delete(c.get("tenant"), clientId, basis))) throw noSuchClient();
    return c.body(null, 204);
  })
  .openapi(rotateSecret, async (c) => {
    const { client_id: clientId } = c.req.valid("param");
    // The body is optional: without one there is nothing validated.
    const overlap = c.req.valid("json")?.overlap_seconds ?? DEFAULT_SECRET_OVERLAP_SECONDS;
    const basis = await clientBasis(c, clientId);
    const rotated = await c.get("services").clients.rotateSecret(c.get("tenant"), clientId, overlap, basis);
    if (!rotated?.secret) throw noSuchClient();
    c.header("ETag", await clientTag(c, rotated.client, rotated.secretHash));
    c.header("Cache-Control", "no-store");
    return c.json({ ...clientView(rotated.client), client_secret: rotated.secret }, 200);
  });
