import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { ADMIN_SCOPE } from "../../core/api-keys/key-scopes.js";
import { errors } from "../../core/errors.js";
import { PROVIDER_NAME } from "../../core/federation/catalogue.js";
import type { SamlConnectionRecord } from "../../core/ports/database.js";
import { spUrls } from "../../core/saml/saml.js";
import type { AppEnv } from "../context.js";
import { representationTag, tagged } from "../etag.js";
import { comparesEntityTags, ifMatchBasis } from "../middleware/preconditions.js";
import { requireServiceScope } from "../middleware/service-auth.js";
import { createRouter, ETAG, NOT_MODIFIED, problems } from "../openapi.js";
import { nextCursorField, PageQuerySchema, page } from "../pagination.js";
import { TenantParamSchema } from "../schemas.js";

export const StoredConnectionSchema = z
  .object({
    connection: z.string(),
    idp_entity_id: z.string(),
    allow_idp_initiated: z.boolean(),
    trust_email: z.boolean(),
    attribute_mapping: z.record(z.string(), z.string()),
    enabled: z.boolean(),
    sp_entity_id: z.string(),
    acs_url: z.string(),
    sp_certificate: z.string(),
    created_at: z.string().datetime(),
    updated_at: z.string().datetime(),
  })
  .openapi("SamlConnection");

/** A stored connection as the admin API shows it: its SP's public side, never the SP private key. */
export function connectionView(stored: SamlConnectionRecord, issuer: string): z.infer<typeof StoredConnectionSchema> {
  const urls = spUrls(issuer, stored.name);
  return {
    connection: stored.name,
    idp_entity_id: stored.idpEntityId,
    allow_idp_initiated: stored.allowIdpInitiated,
    trust_email: stored.trustEmail,
    attribute_mapping: stored.attributeMapping,
    enabled: stored.enabled,
    sp_entity_id: urls.entityId,
    acs_url: urls.acsUrl,
    sp_certificate: stored.spCertificate,
    created_at: stored.createdAt.toISOString(),
    updated_at: stored.updatedAt.toISOString(),
  };
}

/** A connection's ETag: its view and the IdP metadata a write stores but the view shows only the entity id of. */
export function connectionTag(c: Context<AppEnv>, stored: SamlConnectionRecord): Promise<string> {
  return representationTag(
    c,
    connectionView(stored, c.get("services").tokens.issuer(c.get("tenant"))),
    stored.idpMetadataXml,
  );
}

/** ifMatchBasis for a connection: the stored one, tagged. */
export function connectionBasis(c: Context<AppEnv>, name: string): Promise<SamlConnectionRecord | undefined> {
  return ifMatchBasis(
    c,
    () => c.get("services").saml.find(c.get("tenant"), name),
    (stored) => connectionTag(c, stored),
  );
}

/** Names that cannot exist are refused as the PUT refuses them (400). */
export function connectionName(name: string): string {
  if (!PROVIDER_NAME.test(name)) {
    throw errors.validation([{ path: "connection", message: "must be 1 to 63 characters of a-z, 0-9 and -" }]);
  }
  return name;
}

const noSuchConnection = () => errors.notFound("The tenant has no such SAML connection.");

const ConnectionParams = TenantParamSchema.extend({
  connection: z.string().openapi({ param: { name: "connection", in: "path" }, example: "okta" }),
});
const adminOnly = {
  tags: ["Administration"],
  security: [{ bearer: [] }],
};

const listConnections = createRoute({
  ...adminOnly,
  method: "get",
  middleware: [requireServiceScope(ADMIN_SCOPE)] as const,
  path: "/t/{tenant}/v1/admin/saml-connections",
  summary: "The tenant's SAML connections, by name",
  description: "SP private keys are never returned.",
  request: { params: TenantParamSchema, query: PageQuerySchema },
  responses: {
    200: {
      description: "One page of connections",
      content: {
        "application/json": {
          schema: z.object({ connections: z.array(StoredConnectionSchema), next_cursor: nextCursorField }),
        },
      },
    },
    ...problems(400, 401, 403, 404),
  },
});

const getConnection = createRoute({
  ...adminOnly,
  method: "get",
  middleware: [requireServiceScope(ADMIN_SCOPE)] as const,
  path: "/t/{tenant}/v1/admin/saml-connections/{connection}",
  summary: "A SAML connection's stored configuration and its SP's entity id, ACS URL and certificate",
  description: "The SP private key is never returned.",
  request: { params: ConnectionParams },
  responses: {
    200: {
      description: "The connection",
      headers: ETAG,
      content: { "application/json": { schema: StoredConnectionSchema } },
    },
    ...NOT_MODIFIED,
    ...problems(400, 401, 403, 404),
  },
});

const deleteConnection = createRoute({
  ...adminOnly,
  method: "delete",
  middleware: [comparesEntityTags, requireServiceScope(ADMIN_SCOPE)] as const,
  path: "/t/{tenant}/v1/admin/saml-connections/{connection}",
  summary: "Delete a SAML connection",
  description: "Its logins, ACS and SP metadata stop at once, including logins already at the IdP.",
  request: { params: ConnectionParams },
  responses: { 204: { description: "Deleted" }, ...problems(400, 401, 403, 404) },
});

export const adminSamlConnectionRoutes = createRouter()
  .openapi(listConnections, async (c) => {
    const { cursors, saml, tokens } = c.get("services");
    const { items, nextCursor } = await page(
      cursors,
      `saml-connections:${c.get("tenant").id}`,
      c.req.valid("query"),
      PROVIDER_NAME,
      (after, limit) => saml.list(c.get("tenant"), after, limit),
      (connection) => connection.name,
    );
    const issuer = tokens.issuer(c.get("tenant"));
    return c.json({ connections: items.map((row) => connectionView(row, issuer)), next_cursor: nextCursor }, 200);
  })
  .openapi(getConnection, async (c) => {
    const { saml, tokens } = c.get("services");
    const stored = await saml.find(c.get("tenant"), connectionName(c.req.valid("param").connection));
    if (!stored) throw noSuchConnection();
    const view = connectionView(stored, tokens.issuer(c.get("tenant")));
    if (await tagged(c, view, stored.idpMetadataXml)) return c.body(null, 304);
    return c.json(view, 200);
  })
  .openapi(deleteConnection, async (c) => {
    const name = connectionName(c.req.valid("param").connection);
    const basis = await connectionBasis(c, name);
    if (!(await c.get("services").saml.remove(c.get("tenant"), name, basis))) throw noSuchConnection();
    return c.body(null, 204);
  });
