import { createRoute, z } from "@hono/zod-openapi";
import { ADMIN_SCOPE } from "../../core/api-keys/api-keys.js";
import { MFA_POLICIES, mfaPolicyOf } from "../../core/tenant-settings.js";
import { acceptBody } from "../middleware/body.js";
import { requireServiceScope } from "../middleware/service-auth.js";
import { createRouter, problems } from "../openapi.js";
import { TenantParamSchema } from "../schemas.js";

export const MfaPolicySchema = z
  .object({
    policy: z.enum(MFA_POLICIES).openapi({
      description:
        "`optional`: users choose; `required`: every user; `required_for_admins`: users holding `admin`. " +
        "A user with a factor always completes it at login, whatever the policy.",
    }),
  })
  .openapi("MfaPolicy");

const getPolicy = createRoute({
  method: "get",
  path: "/t/{tenant}/v1/admin/mfa-policy",
  tags: ["Administration"],
  summary: "Who must use a second factor at login",
  security: [{ bearer: [] }],
  middleware: [requireServiceScope(ADMIN_SCOPE)] as const,
  request: { params: TenantParamSchema },
  responses: {
    200: { description: "The policy in effect", content: { "application/json": { schema: MfaPolicySchema } } },
    ...problems(401, 403, 404),
  },
});

const putPolicy = createRoute({
  method: "put",
  path: "/t/{tenant}/v1/admin/mfa-policy",
  tags: ["Administration"],
  summary: "Set who must use a second factor at login",
  security: [{ bearer: [] }],
  middleware: [requireServiceScope(ADMIN_SCOPE), acceptBody("json")] as const,
  request: {
    params: TenantParamSchema,
    body: { required: true, content: { "application/json": { schema: MfaPolicySchema } } },
  },
  responses: {
    200: { description: "The stored policy", content: { "application/json": { schema: MfaPolicySchema } } },
    ...problems(400, 401, 403, 404, 413, 415),
  },
});

export const adminMfaPolicyRoutes = createRouter()
  .openapi(getPolicy, (c) => c.json({ policy: mfaPolicyOf(c.var.tenant) }, 200))
  .openapi(putPolicy, async (c) => {
    const { policy } = c.req.valid("json");
    const tenant = await c.var.services.tenants.updateSettings(c.var.tenant, { mfa_policy: policy });
    return c.json({ policy: mfaPolicyOf(tenant) }, 200);
  });
