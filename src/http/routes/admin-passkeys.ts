import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { ADMIN_SCOPE } from "../../core/api-keys/key-scopes.js";
import { errors } from "../../core/errors.js";
import { isRegistrableSuffix, relyingPartyOf } from "../../core/mfa/relying-party.js";
import type { Tenant } from "../../core/ports/database.js";
import type { AppEnv } from "../context.js";
import { tagged } from "../etag.js";
import { acceptBody } from "../middleware/body.js";
import { comparesEntityTags, tenantBasis } from "../middleware/preconditions.js";
import { requireServiceScope } from "../middleware/service-auth.js";
import { createRouter, ETAG, NOT_MODIFIED, problems } from "../openapi.js";
import { TenantParamSchema } from "../schemas.js";

const PasskeySettingsSchema = z
  .object({
    rp_id: z
      .string()
      .max(253)
      .nullable()
      .openapi({ description: "The WebAuthn RP ID; null for PUBLIC_URL's host", example: "example.com" }),
  })
  .strict()
  .openapi("PasskeySettings");

const EffectiveSchema = z
  .object({
    rp_id: z.string().openapi({ description: "The RP ID in effect" }),
    origin: z.string().openapi({ description: "The one origin ceremonies are accepted from (PUBLIC_URL's)" }),
  })
  .openapi("PasskeyRelyingParty");

const admin = { security: [{ bearer: [] }], tags: ["Administration"] };

const getSettings = createRoute({
  ...admin,
  method: "get",
  path: "/t/{tenant}/v1/admin/passkey-settings",
  summary: "The relying party the tenant's passkeys belong to",
  middleware: [requireServiceScope(ADMIN_SCOPE)] as const,
  request: { params: TenantParamSchema },
  responses: {
    200: { description: "In effect", headers: ETAG, content: { "application/json": { schema: EffectiveSchema } } },
    ...NOT_MODIFIED,
    ...problems(401, 403, 404),
  },
});

const putSettings = createRoute({
  ...admin,
  method: "put",
  path: "/t/{tenant}/v1/admin/passkey-settings",
  summary: "Set the tenant's passkey RP ID",
  description:
    "The RP ID must be PUBLIC_URL's host or a parent domain of it (WebAuthn §5.1.3), e.g. `example.com` for " +
    "`auth.example.com`. Passkeys registered under another RP ID stop working when it changes.",
  middleware: [comparesEntityTags, requireServiceScope(ADMIN_SCOPE), acceptBody("json")] as const,
  request: {
    params: TenantParamSchema,
    body: { required: true, content: { "application/json": { schema: PasskeySettingsSchema } } },
  },
  responses: {
    200: {
      description: "Stored; in effect",
      headers: ETAG,
      content: { "application/json": { schema: EffectiveSchema } },
    },
    ...problems(400, 401, 403, 404, 413, 415),
  },
});

/** The relying party in effect: the tenant's RP ID (PUBLIC_URL's host when none) and PUBLIC_URL's origin. */
function effective(c: Context<AppEnv>, tenant: Tenant) {
  const { rp } = relyingPartyOf(tenant, c.get("services").config.PUBLIC_URL);
  return { rp_id: rp.id, origin: rp.origin };
}

export const adminPasskeyRoutes = createRouter()
  .openapi(getSettings, async (c) => {
    const view = effective(c, c.get("tenant"));
    if (await tagged(c, view)) return c.body(null, 304);
    return c.json(view, 200);
  })
  .openapi(putSettings, async (c) => {
    const publicUrl = c.get("services").config.PUBLIC_URL;
    const { rp_id } = c.req.valid("json");
    if (rp_id !== null && !isRegistrableSuffix(rp_id, new URL(publicUrl).hostname)) {
      throw errors.validation([{ path: "rp_id", message: "must be PUBLIC_URL's host or a parent domain of it" }]);
    }
    const basis = await tenantBasis(c, (tenant) => effective(c, tenant));
    const patch = { passkey_rp_id: rp_id === null ? null : rp_id.toLowerCase() };
    const view = effective(c, await c.get("services").tenants.updateSettings(c.get("tenant"), patch, undefined, basis));
    await tagged(c, view);
    return c.json(view, 200);
  });
