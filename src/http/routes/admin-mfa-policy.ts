import { createRoute, z } from "@hono/zod-openapi";
import { ADMIN_SCOPE } from "../../core/api-keys/key-scopes.js";
import type { Tenant } from "../../core/ports/database.js";
import { FEDERATED_LOGIN_MFA, MFA_POLICIES, mfaSettingsOf } from "../../core/tenant-settings.js";
import { tagged } from "../etag.js";
import { acceptBody } from "../middleware/body.js";
import { comparesEntityTags, tenantBasis } from "../middleware/preconditions.js";
import { requireServiceScope } from "../middleware/service-auth.js";
import { createRouter, ETAG, NOT_MODIFIED, problems } from "../openapi.js";
import { TenantParamSchema } from "../schemas.js";

const policy = z.enum(MFA_POLICIES).openapi({
  description:
    "`optional`: users choose; `required`: every user; `required_for_admins`: users holding `admin`. A bound " +
    "user without a factor gets no tokens: the login answers an enrollment challenge (`enrollment_required`), " +
    "and enrolling a factor with its `mfa_token` finishes the login. A user with a factor always completes " +
    "it at login, whatever the policy.",
});

const federatedLogins = z.enum(FEDERATED_LOGIN_MFA).openapi({
  description:
    "Logins through OAuth providers and SAML connections: `second_step` (default) asks for the user's factor " +
    "(and the policy's enrollment) as after a password; `trust_upstream` skips both, for identity providers " +
    "that enforce MFA themselves.",
});

const MfaPolicySchema = z.object({ policy, federated_logins: federatedLogins }).openapi("MfaPolicy");
const MfaPolicyInputSchema = z
  .object({ policy, federated_logins: federatedLogins.optional().openapi({ description: "Default `second_step`" }) })
  .strict()
  .openapi("MfaPolicyInput");

const getPolicy = createRoute({
  method: "get",
  path: "/t/{tenant}/v1/admin/mfa-policy",
  tags: ["Administration"],
  summary: "Who must use a second factor at login",
  security: [{ bearer: [] }],
  middleware: [requireServiceScope(ADMIN_SCOPE)] as const,
  request: { params: TenantParamSchema },
  responses: {
    200: {
      description: "The policy in effect",
      headers: ETAG,
      content: { "application/json": { schema: MfaPolicySchema } },
    },
    ...NOT_MODIFIED,
    ...problems(401, 403, 404),
  },
});

const putPolicy = createRoute({
  method: "put",
  path: "/t/{tenant}/v1/admin/mfa-policy",
  tags: ["Administration"],
  summary: "Set who must use a second factor at login",
  description:
    "Replaces both settings: an omitted `federated_logins` is `second_step`. Other processes apply the change " +
    "within 5 s.",
  security: [{ bearer: [] }],
  middleware: [comparesEntityTags, requireServiceScope(ADMIN_SCOPE), acceptBody("json")] as const,
  request: {
    params: TenantParamSchema,
    body: { required: true, content: { "application/json": { schema: MfaPolicyInputSchema } } },
  },
  responses: {
    200: {
      description: "The stored policy",
      headers: ETAG,
      content: { "application/json": { schema: MfaPolicySchema } },
    },
    ...problems(400, 401, 403, 404, 413, 415),
  },
});

const view = (tenant: Tenant) => {
  const settings = mfaSettingsOf(tenant);
  return { policy: settings.policy, federated_logins: settings.federatedLogins };
};

export const adminMfaPolicyRoutes = createRouter()
  .openapi(getPolicy, async (c) => {
    const policy = view(c.get("tenant"));
    if (await tagged(c, policy)) return c.body(null, 304);
    return c.json(policy, 200);
  })
  .openapi(putPolicy, async (c) => {
    const body = c.req.valid("json");
    const basis = await tenantBasis(c, view);
    const patch = { mfa_policy: body.policy, mfa_federated_logins: body.federated_logins ?? "second_step" };
    const policy = view(await c.get("services").tenants.updateSettings(c.get("tenant"), patch, undefined, basis));
    await tagged(c, policy);
    return c.json(policy, 200);
  });
