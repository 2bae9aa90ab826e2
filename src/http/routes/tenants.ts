import { createRoute, z } from "@hono/zod-openapi";
import type { Tenant } from "../../core/ports/database.js";
import {
  ACCESS_TOKEN_TTL_RANGE,
  DEFAULT_SETTINGS,
  issuerOf,
  SESSION_ABSOLUTE_TTL_RANGE,
  SESSION_IDLE_TTL_RANGE,
  SIGNING_ALGORITHMS,
  settingsOf,
} from "../../core/tenant-settings.js";
import { TENANT_SLUG } from "../../core/tenants.js";
import { requireBootstrapAdmin } from "../middleware/admin-auth.js";
import { acceptBody } from "../middleware/body.js";
import { CREATED_LOCATION, createRouter, problems } from "../openapi.js";
import { shownName, singleLine } from "../schemas.js";

const CreateTenantSchema = z
  .object({
    slug: z.string().regex(TENANT_SLUG, "must be 1 to 63 characters of a-z, 0-9 and -").openapi({ example: "acme" }),
    name: shownName().trim().min(1, "must not be empty").max(200, "must be at most 200 characters"),
    signing_alg: z.enum(SIGNING_ALGORITHMS).optional().openapi({ description: "Algorithm of the tenant's keys" }),
    access_token_ttl: z
      .number()
      .int()
      .min(ACCESS_TOKEN_TTL_RANGE.min)
      .max(ACCESS_TOKEN_TTL_RANGE.max)
      .optional()
      .openapi({ description: "Access-token lifetime in seconds (default 600)" }),
    session_idle_ttl: z
      .number()
      .int()
      .min(SESSION_IDLE_TTL_RANGE.min)
      .max(SESSION_IDLE_TTL_RANGE.max)
      .optional()
      .openapi({ description: "Seconds a session lives without a refresh (default 30 days)" }),
    session_absolute_ttl: z
      .number()
      .int()
      .min(SESSION_ABSOLUTE_TTL_RANGE.min)
      .max(SESSION_ABSOLUTE_TTL_RANGE.max)
      .optional()
      .openapi({ description: "Seconds a session lives at most, however often refreshed (default 90 days)" }),
    audience: singleLine()
      .min(1)
      .max(512)
      .optional()
      .openapi({ description: "`aud` of access tokens (default: the issuer)" }),
  })
  // Settings are fixed at creation: a misspelt one must not be dropped without a word.
  .strict()
  .refine(
    (t) =>
      (t.session_idle_ttl ?? DEFAULT_SETTINGS.sessionIdleTtl) <=
      (t.session_absolute_ttl ?? DEFAULT_SETTINGS.sessionAbsoluteTtl),
    { path: ["session_idle_ttl"], message: "must not exceed session_absolute_ttl" },
  )
  .openapi("CreateTenant");

export const TenantSchema = z
  .object({
    id: z.string().uuid(),
    slug: z.string(),
    name: z.string(),
    issuer: z.string().url(),
    created_at: z.string().datetime(),
    signing_alg: z.enum(SIGNING_ALGORITHMS),
    access_token_ttl: z.number().int(),
    session_idle_ttl: z.number().int(),
    session_absolute_ttl: z.number().int(),
    audience: z.string().nullable().openapi({ description: "null: access tokens carry the issuer as `aud`" }),
  })
  .openapi("Tenant");

/** A tenant as the admin API shows it: its identity and effective settings (defaults applied). */
export function tenantView(tenant: Tenant, publicUrl: string): z.infer<typeof TenantSchema> {
  const settings = settingsOf(tenant);
  return {
    id: tenant.id,
    slug: tenant.slug,
    name: tenant.name,
    issuer: issuerOf(publicUrl, tenant),
    created_at: tenant.createdAt.toISOString(),
    signing_alg: settings.signingAlg,
    access_token_ttl: settings.accessTokenTtl,
    session_idle_ttl: settings.sessionIdleTtl,
    session_absolute_ttl: settings.sessionAbsoluteTtl,
    audience: settings.audience,
  };
}

const createTenant = createRoute({
  method: "post",
  path: "/v1/admin/tenants",
  tags: ["Administration"],
  summary: "Create a tenant (bootstrap admin key)",
  security: [{ bearer: [] }],
  middleware: [requireBootstrapAdmin(), acceptBody("json")] as const,
  request: { body: { required: true, content: { "application/json": { schema: CreateTenantSchema } } } },
  responses: {
    201: {
      description: "Created; Location is its GET route",
      headers: CREATED_LOCATION,
      content: { "application/json": { schema: TenantSchema } },
    },
    ...problems(400, 401, 409, 413, 415),
  },
});

export const tenantRoutes = createRouter().openapi(createTenant, async (c) => {
  const { slug, name, ...settings } = c.req.valid("json");
  const { tenants, keyRing, config } = c.get("services");
  const tenant = await tenants.create(slug, name, settings);
  // Its keys exist (and are published) from the start.
  await keyRing.published(tenant);
  c.header("Location", `/v1/admin/tenants/${tenant.slug}`);
  return c.json(tenantView(tenant, config.PUBLIC_URL), 201);
});
