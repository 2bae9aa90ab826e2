import { createRoute, z } from "@hono/zod-openapi";
import { ADMIN_SCOPE } from "../../core/api-keys/key-scopes.js";
import type { Tenant } from "../../core/ports/database.js";
import {
  DEFAULT_LIMITS,
  LIMIT_NAMES,
  LIMIT_RANGE,
  type LimitName,
  limitsOf,
  WINDOW_RANGE,
} from "../../core/rate-limit/limits.js";
import { tagged } from "../etag.js";
import { acceptBody } from "../middleware/body.js";
import { comparesEntityTags, tenantBasis } from "../middleware/preconditions.js";
import { requireServiceScope } from "../middleware/service-auth.js";
import { createRouter, ETAG, NOT_MODIFIED, problems } from "../openapi.js";
import { TenantParamSchema } from "../schemas.js";

const LimitSchema = z
  .object({
    limit: z.number().int().min(LIMIT_RANGE.min).max(LIMIT_RANGE.max),
    window_seconds: z.number().int().min(WINDOW_RANGE.min).max(WINDOW_RANGE.max),
  })
  .strict()
  .openapi("RateLimit");

const limitFields = Object.fromEntries(LIMIT_NAMES.map((name) => [name, LimitSchema.optional()])) as Record<
  LimitName,
  z.ZodOptional<typeof LimitSchema>
>;

const RateLimitsSchema = z
  .object(limitFields)
  .strict()
  .openapi("RateLimits", {
    description: `Requests per client network (IPv4 address, IPv6 /64) per window, by limit name. Defaults: ${LIMIT_NAMES.map((n) => `${n} ${DEFAULT_LIMITS[n].limit}/${DEFAULT_LIMITS[n].windowSeconds}s`).join(", ")}.`,
  });

const EffectiveLimitsSchema = z.object(
  Object.fromEntries(LIMIT_NAMES.map((name) => [name, LimitSchema])) as Record<LimitName, typeof LimitSchema>,
);

const view = (tenant: Tenant) => {
  const limits = limitsOf(tenant);
  return Object.fromEntries(
    LIMIT_NAMES.map((name) => [name, { limit: limits[name].limit, window_seconds: limits[name].windowSeconds }]),
  ) as Record<LimitName, { limit: number; window_seconds: number }>;
};

const getLimits = createRoute({
  method: "get",
  path: "/t/{tenant}/v1/admin/rate-limits",
  tags: ["Administration"],
  summary: "The tenant's effective rate limits",
  security: [{ bearer: [] }],
  middleware: [requireServiceScope(ADMIN_SCOPE)] as const,
  request: { params: TenantParamSchema },
  responses: {
    200: {
      description: "Every limit, overrides applied",
      headers: ETAG,
      content: { "application/json": { schema: EffectiveLimitsSchema } },
    },
    ...NOT_MODIFIED,
    ...problems(401, 403, 404),
  },
});

const putLimits = createRoute({
  method: "put",
  path: "/t/{tenant}/v1/admin/rate-limits",
  tags: ["Administration"],
  summary: "Override the tenant's rate limits",
  description:
    "Replaces the tenant's overrides; limits not named return to their defaults. Other processes apply the change within 5 s.",
  security: [{ bearer: [] }],
  middleware: [comparesEntityTags, requireServiceScope(ADMIN_SCOPE), acceptBody("json")] as const,
  request: {
    params: TenantParamSchema,
    body: { required: true, content: { "application/json": { schema: RateLimitsSchema } } },
  },
  responses: {
    200: {
      description: "Every limit, overrides applied",
      headers: ETAG,
      content: { "application/json": { schema: EffectiveLimitsSchema } },
    },
    ...problems(400, 401, 403, 404, 413, 415),
  },
});

export const rateLimitRoutes = createRouter()
  .openapi(getLimits, async (c) => {
    const limits = view(c.get("tenant"));
    if (await tagged(c, limits)) return c.body(null, 304);
    return c.json(limits, 200);
  })
  .openapi(putLimits, async (c) => {
    const patch = { rate_limits: c.req.valid("json") };
    const basis = await tenantBasis(c, view);
    const limits = view(await c.get("services").tenants.updateSettings(c.get("tenant"), patch, undefined, basis));
    await tagged(c, limits);
    return c.json(limits, 200);
  });
