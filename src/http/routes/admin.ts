import { createRoute, z } from "@hono/zod-openapi";
import { errors } from "../../core/errors.js";
import { redirectUrisOf } from "../../core/tenant-settings.js";
import { requireBootstrapAdmin } from "../middleware/admin-auth.js";
import { acceptBody } from "../middleware/body.js";
import { createRouter, problems } from "../openapi.js";
import { TenantParamSchema, TenantResourceParamSchema, UUID_PATTERN } from "../schemas.js";

const MAX_REDIRECT_URIS = 100;

/**
 * An absolute URI without a fragment (RFC 6749 §3.1.2). https, http only for
 * loopback hosts, or a private-use scheme of a native app (RFC 8252 §7.1).
 */
const redirectUri = z
  .string()
  .max(2048, "must be at most 2048 characters")
  .refine((uri) => URL.canParse(uri), "must be an absolute URI")
  .refine((uri) => !URL.canParse(uri) || !uri.includes("#"), "must not have a fragment")
  .refine((uri) => {
    if (!URL.canParse(uri)) return true;
    const url = new URL(uri);
    if (url.protocol === "http:") return ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname);
    return !["javascript:", "data:", "file:", "blob:", "about:", "vbscript:"].includes(url.protocol);
  }, "must be https, http on a loopback host, or a native app's private-use scheme");

const RedirectUrisSchema = z
  .object({
    redirect_uris: z
      .array(redirectUri)
      .max(MAX_REDIRECT_URIS, `must have at most ${MAX_REDIRECT_URIS} entries`)
      .openapi({ description: "Exact URIs, compared as strings" }),
  })
  .openapi("RedirectUris");

const putRedirectUris = createRoute({
  method: "put",
  path: "/t/{tenant}/v1/admin/redirect-uris",
  tags: ["Administration"],
  summary: "Set the tenant's redirect allowlist",
  description: "Replaces the list. Its origins are also the `Origin`s allowed to use cookie mode.",
  security: [{ bearer: [] }],
  middleware: [requireBootstrapAdmin(), acceptBody("json")] as const,
  request: {
    params: TenantParamSchema,
    body: { required: true, content: { "application/json": { schema: RedirectUrisSchema } } },
  },
  responses: {
    200: { description: "The stored list", content: { "application/json": { schema: RedirectUrisSchema } } },
    ...problems(400, 401, 403, 404, 413, 415),
  },
});

const revokeSessions = createRoute({
  method: "post",
  path: "/t/{tenant}/v1/admin/users/{id}/revoke-sessions",
  tags: ["Administration"],
  summary: "Revoke every session of a user",
  description: "Their refresh tokens stop working and their access tokens are refused at once.",
  security: [{ bearer: [] }],
  middleware: [requireBootstrapAdmin()] as const,
  request: { params: TenantResourceParamSchema },
  responses: { 204: { description: "Revoked" }, ...problems(401, 403, 404) },
});

export const adminRoutes = createRouter()
  .openapi(putRedirectUris, async (c) => {
    const uris = [...new Set(c.req.valid("json").redirect_uris)];
    const tenant = await c.var.services.tenants.updateSettings(c.var.tenant, { redirect_uris: uris });
    return c.json({ redirect_uris: redirectUrisOf(tenant) }, 200);
  })
  .openapi(revokeSessions, async (c) => {
    const { id } = c.req.valid("param");
    const { accounts, sessions } = c.var.services;
    const user = UUID_PATTERN.test(id) ? await accounts.findUser(c.var.tenant, id) : null;
    if (!user) throw errors.notFound("No such user.");
    await sessions.revokeAllOfUser(c.var.tenant, user.id);
    return c.body(null, 204);
  });
