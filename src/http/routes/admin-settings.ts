import { createRoute, z } from "@hono/zod-openapi";
import { ADMIN_SCOPE } from "../../core/api-keys/key-scopes.js";
import { SIGNING_ALGORITHMS } from "../../core/tenant-settings.js";
import { TENANT_SLUG } from "../../core/tenants.js";
import { tagged } from "../etag.js";
import { requireBootstrapAdmin } from "../middleware/admin-auth.js";
import { requireServiceScope } from "../middleware/service-auth.js";
import { createRouter, ETAG, NOT_MODIFIED, problems } from "../openapi.js";
import { nextCursorField, PageQuerySchema, page } from "../pagination.js";
import { TenantParamSchema } from "../schemas.js";
import { RedirectUrisSchema, redirectUrisView } from "./admin.js";
import { TenantSchema, tenantView } from "./tenants.js";

/** Reading back what the admin API writes at tenant level: tenants, redirect allowlists, signing keys. */

const SigningKeySchema = z
  .object({
    kid: z.string(),
    alg: z.enum(SIGNING_ALGORITHMS),
    state: z.enum(["next", "active", "retired"]),
    created_at: z.string().datetime(),
    activated_at: z.string().datetime().nullable(),
    retired_at: z.string().datetime().nullable(),
    published_until: z
      .string()
      .datetime()
      .nullable()
      .openapi({ description: "A retired key leaves the JWKS then; null while it is next or active" }),
  })
  .openapi("SigningKey");

const listTenants = createRoute({
  method: "get",
  path: "/v1/admin/tenants",
  tags: ["Administration"],
  summary: "Every tenant, by slug (bootstrap admin key)",
  security: [{ bearer: [] }],
  middleware: [requireBootstrapAdmin()] as const,
  request: { query: PageQuerySchema },
  responses: {
    200: {
      description: "One page of tenants",
      content: {
        "application/json": { schema: z.object({ tenants: z.array(TenantSchema), next_cursor: nextCursorField }) },
      },
    },
    ...problems(400, 401),
  },
});

const getTenant = createRoute({
  method: "get",
  path: "/v1/admin/tenants/{slug}",
  tags: ["Administration"],
  summary: "A tenant and its settings (bootstrap admin key)",
  security: [{ bearer: [] }],
  middleware: [requireBootstrapAdmin()] as const,
  request: { params: z.object({ slug: z.string().openapi({ param: { name: "slug", in: "path" }, example: "acme" }) }) },
  responses: {
    200: { description: "The tenant", content: { "application/json": { schema: TenantSchema } } },
    ...problems(401, 404),
  },
});

const getRedirectUris = createRoute({
  method: "get",
  path: "/t/{tenant}/v1/admin/redirect-uris",
  tags: ["Administration"],
  summary: "The tenant's redirect allowlist",
  security: [{ bearer: [] }],
  middleware: [requireServiceScope(ADMIN_SCOPE)] as const,
  request: { params: TenantParamSchema },
  responses: {
    200: {
      description: "The stored list",
      headers: ETAG,
      content: { "application/json": { schema: RedirectUrisSchema } },
    },
    ...NOT_MODIFIED,
    ...problems(401, 403, 404),
  },
});

const listSigningKeys = createRoute({
  method: "get",
  path: "/t/{tenant}/v1/admin/signing-keys",
  tags: ["Administration"],
  summary: "The tenant's signing keys: next, active, and retired ones still published",
  description: "Public information only; the key material is never returned (the JWKS has the public keys).",
  security: [{ bearer: [] }],
  middleware: [requireServiceScope(ADMIN_SCOPE)] as const,
  request: { params: TenantParamSchema },
  responses: {
    200: {
      description: "The next key, the active key, then retired keys newest first",
      content: { "application/json": { schema: z.object({ keys: z.array(SigningKeySchema) }) } },
    },
    ...problems(401, 403, 404),
  },
});

const iso = (date: Date | null) => date?.toISOString() ?? null;
const STATE_ORDER = { next: 0, active: 1, retired: 2 } as const;

export const adminSettingRoutes = createRouter()
  .openapi(listTenants, async (c) => {
    const { cursors, tenants, config } = c.get("services");
    const { items, nextCursor } = await page(
      cursors,
      "tenants",
      c.req.valid("query"),
      TENANT_SLUG,
      (after, limit) => tenants.list(after, limit),
      (tenant) => tenant.slug,
    );
    return c.json({ tenants: items.map((t) => tenantView(t, config.PUBLIC_URL)), next_cursor: nextCursor }, 200);
  })
  .openapi(getTenant, async (c) => {
    const { tenants, config } = c.get("services");
    return c.json(tenantView(await tenants.require(c.req.valid("param").slug), config.PUBLIC_URL), 200);
  })
  .openapi(getRedirectUris, async (c) => {
    const view = redirectUrisView(c.get("tenant"));
    if (await tagged(c, view)) return c.body(null, 304);
    return c.json(view, 200);
  })
  .openapi(listSigningKeys, async (c) => {
    // Read fresh: an admin checking a rotation must not see another process's cached ring.
    const ring = await c.get("services").keyRing.published(c.get("tenant"), true);
    const keys = [...ring]
      .sort((a, b) => STATE_ORDER[a.state] - STATE_ORDER[b.state] || b.createdAt.getTime() - a.createdAt.getTime())
      .map((key) => ({
        kid: key.kid,
        alg: key.alg,
        state: key.state,
        created_at: key.createdAt.toISOString(),
        activated_at: iso(key.activatedAt),
        retired_at: iso(key.retiredAt),
        published_until: iso(key.publishUntil),
      }));
    return c.json({ keys }, 200);
  });
