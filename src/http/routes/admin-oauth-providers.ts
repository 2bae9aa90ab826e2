import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { ADMIN_SCOPE } from "../../core/api-keys/key-scopes.js";
import { errors } from "../../core/errors.js";
import { catalogueEntry, PROVIDER_NAME } from "../../core/federation/catalogue.js";
import type { OAuthProviderRecord } from "../../core/ports/database.js";
import type { AppEnv } from "../context.js";
import { representationTag } from "../etag.js";
import { comparesEntityTags, ifMatchBasis } from "../middleware/preconditions.js";
import { requireServiceScope } from "../middleware/service-auth.js";
import { createRouter, ETAG, problems } from "../openapi.js";
import { nextCursorField, PageQuerySchema, page } from "../pagination.js";
import { TenantParamSchema } from "../schemas.js";

export const StoredProviderSchema = z
  .object({
    provider: z.string(),
    client_id: z.string(),
    issuer: z.string().nullable(),
    scopes: z.array(z.string()),
    enabled: z.boolean(),
    created_at: z.string().datetime(),
    updated_at: z.string().datetime(),
  })
  .openapi("OAuthProvider");

const ProviderDetailSchema = StoredProviderSchema.extend({
  last_error: z
    .object({
      at: z.string().datetime(),
      step: z.enum(["discovery", "callback", "token", "keys", "userinfo"]),
      detail: z.string(),
    })
    .nullable()
    .openapi({ description: "The last failed call to the provider in the past 3 days, for diagnosis; null if none" }),
}).openapi("OAuthProviderDetail");

/** A stored provider as the admin API shows it: the effective issuer and scopes, never the secret. */
export function providerView(stored: OAuthProviderRecord): z.infer<typeof StoredProviderSchema> {
  const entry = catalogueEntry(stored.name);
  return {
    provider: stored.name,
    client_id: stored.clientId,
    issuer: stored.issuer ?? (entry.kind === "oidc" ? (entry.issuer ?? null) : null),
    scopes: stored.scopes.length > 0 ? stored.scopes : entry.scopes,
    enabled: stored.enabled,
    created_at: stored.createdAt.toISOString(),
    updated_at: stored.updatedAt.toISOString(),
  };
}

/**
 * A provider's ETag: its stored configuration (not the diagnostic last_error) and its sealed client secret,
 * sealed anew at every write, so a write carrying a new secret changes it too.
 */
export function providerTag(c: Context<AppEnv>, stored: OAuthProviderRecord): Promise<string> {
  return representationTag(c, providerView(stored), stored.clientSecretSealed);
}

/** Names that cannot exist are refused as the PUT refuses them (400). */
function providerName(name: string): string {
  if (!PROVIDER_NAME.test(name)) {
    throw errors.validation([{ path: "provider", message: "must be 1 to 63 characters of a-z, 0-9 and -" }]);
  }
  return name;
}

const noSuchProvider = () => errors.notFound("The tenant has no such provider.");

const ProviderParams = TenantParamSchema.extend({
  provider: z.string().openapi({ param: { name: "provider", in: "path" }, example: "google" }),
});
const adminOnly = {
  tags: ["Administration"],
  security: [{ bearer: [] }],
};

const listProviders = createRoute({
  ...adminOnly,
  method: "get",
  middleware: [requireServiceScope(ADMIN_SCOPE)] as const,
  path: "/t/{tenant}/v1/admin/oauth-providers",
  summary: "The tenant's upstream OAuth 2.0 / OpenID Connect providers, by name",
  description: "Client secrets are never returned.",
  request: { params: TenantParamSchema, query: PageQuerySchema },
  responses: {
    200: {
      description: "One page of providers",
      content: {
        "application/json": {
          schema: z.object({ providers: z.array(StoredProviderSchema), next_cursor: nextCursorField }),
        },
      },
    },
    ...problems(400, 401, 403, 404),
  },
});

const getProvider = createRoute({
  ...adminOnly,
  method: "get",
  middleware: [requireServiceScope(ADMIN_SCOPE)] as const,
  path: "/t/{tenant}/v1/admin/oauth-providers/{provider}",
  summary: "A provider's stored configuration and its last upstream error",
  description: "The client secret is never returned.",
  request: { params: ProviderParams },
  responses: {
    200: {
      description: "The provider; its ETag names the configuration, not last_error",
      headers: ETAG,
      content: { "application/json": { schema: ProviderDetailSchema } },
    },
    ...problems(400, 401, 403, 404),
  },
});

const deleteProvider = createRoute({
  ...adminOnly,
  method: "delete",
  middleware: [comparesEntityTags, requireServiceScope(ADMIN_SCOPE)] as const,
  path: "/t/{tenant}/v1/admin/oauth-providers/{provider}",
  summary: "Delete a provider",
  description: "Logins through it stop at once, including those already at the provider.",
  request: { params: ProviderParams },
  responses: { 204: { description: "Deleted" }, ...problems(400, 401, 403, 404) },
});

export const adminOAuthProviderRoutes = createRouter()
  .openapi(listProviders, async (c) => {
    const { cursors, federation } = c.get("services");
    const { items, nextCursor } = await page(
      cursors,
      `oauth-providers:${c.get("tenant").id}`,
      c.req.valid("query"),
      PROVIDER_NAME,
      (after, limit) => federation.list(c.get("tenant"), after, limit),
      (provider) => provider.name,
    );
    return c.json({ providers: items.map(providerView), next_cursor: nextCursor }, 200);
  })
  .openapi(getProvider, async (c) => {
    const name = providerName(c.req.valid("param").provider);
    const { federation } = c.get("services");
    const [stored, lastError] = await Promise.all([
      federation.find(c.get("tenant"), name),
      federation.lastUpstreamError(c.get("tenant"), name),
    ]);
    if (!stored) throw noSuchProvider();
    c.header("ETag", await providerTag(c, stored));
    const last_error = lastError && { ...lastError, at: lastError.at.toISOString() };
    return c.json({ ...providerView(stored), last_error }, 200);
  })
  .openapi(deleteProvider, async (c) => {
    const name = providerName(c.req.valid("param").provider);
    const { federation } = c.get("services");
    const basis = await ifMatchBasis(
      c,
      () => federation.find(c.get("tenant"), name),
      (stored) => providerTag(c, stored),
    );
    if (!(await federation.remove(c.get("tenant"), name, basis))) throw noSuchProvider();
    return c.body(null, 204);
  });
