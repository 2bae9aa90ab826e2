import { createRoute, z } from "@hono/zod-openapi";
import { ADMIN_SCOPE } from "../../core/api-keys/key-scopes.js";
import { errors } from "../../core/errors.js";
import { catalogueEntry, PROVIDER_NAME } from "../../core/federation/catalogue.js";
import type { Tenant } from "../../core/ports/database.js";
import { settleAll } from "../../core/settle-all.js";
import { redirectUrisOf } from "../../core/tenant-settings.js";
import { tagged } from "../etag.js";
import { acceptBody, acceptNoBody } from "../middleware/body.js";
import { comparesEntityTags, ifMatchAnyHolds, ifMatchBasis, tenantBasis } from "../middleware/preconditions.js";
import { requireServiceScope } from "../middleware/service-auth.js";
import { createRouter, ETAG, problems } from "../openapi.js";
import { redirectUri, singleLine, TenantParamSchema, TenantResourceParamSchema, UUID_PATTERN } from "../schemas.js";
import { providerTag, providerView, StoredProviderSchema } from "./admin-oauth-providers.js";

const MAX_REDIRECT_URIS = 100;

const redirectUrisFields = {
  redirect_uris: z
    .array(redirectUri)
    .max(MAX_REDIRECT_URIS, `must have at most ${MAX_REDIRECT_URIS} entries`)
    .openapi({ description: "Exact URIs, compared as strings" }),
};

export const RedirectUrisSchema = z.object(redirectUrisFields).openapi("RedirectUris");

export const redirectUrisView = (tenant: Tenant) => ({ redirect_uris: redirectUrisOf(tenant) });

// Admin write bodies are strict: a misspelt field is 400 naming it, never dropped without a word.
const RedirectUrisInputSchema = z.object(redirectUrisFields).strict().openapi("RedirectUrisInput");

const putRedirectUris = createRoute({
  method: "put",
  path: "/t/{tenant}/v1/admin/redirect-uris",
  tags: ["Administration"],
  summary: "Set the tenant's redirect allowlist",
  description:
    "Replaces the list. Its origins are also the `Origin`s allowed to use cookie mode. Other processes apply " +
    "the change within 5 s.",
  security: [{ bearer: [] }],
  middleware: [comparesEntityTags, requireServiceScope(ADMIN_SCOPE), acceptBody("json")] as const,
  request: {
    params: TenantParamSchema,
    body: { required: true, content: { "application/json": { schema: RedirectUrisInputSchema } } },
  },
  responses: {
    200: {
      description: "The stored list",
      headers: ETAG,
      content: { "application/json": { schema: RedirectUrisSchema } },
    },
    ...problems(400, 401, 403, 404, 413, 415),
  },
});

const revokeSessions = createRoute({
  method: "post",
  path: "/t/{tenant}/v1/admin/users/{id}/revoke-sessions",
  tags: ["Administration"],
  summary: "Revoke every session of a user",
  description:
    "Their refresh tokens stop working and their access tokens are refused at once; with `include_api_keys=true`, " +
    "every API key of the user is revoked too and stops at once. Logins in progress end too: an `mfa_token` or a " +
    "federated login's one-time code issued before this yields no session.",
  security: [{ bearer: [] }],
  middleware: [requireServiceScope(ADMIN_SCOPE), acceptNoBody()] as const,
  request: {
    params: TenantResourceParamSchema,
    // Strict: a misspelt `include_api_key` ignored would leave the user's keys valid.
    query: z
      .object({
        include_api_keys: z
          .enum(["true", "false"], { message: 'must be "true" or "false"' })
          .optional()
          .openapi({ description: "Also revoke the user's API keys" }),
      })
      .strict(),
  },
  responses: { 204: { description: "Revoked" }, ...problems(400, 401, 403, 404) },
});

const issuerUrl = singleLine()
  .max(2048)
  .refine((value) => URL.canParse(value), "must be an absolute URL")
  .refine((value) => {
    if (!URL.canParse(value)) return true;
    const url = new URL(value);
    return (url.protocol === "https:" || url.protocol === "http:") && !url.search && !url.hash;
  }, "must be an http(s) URL without query or fragment")
  // It is read back and logged as configuration, never as a secret: no credentials in it.
  .refine((value) => {
    if (!URL.canParse(value)) return true;
    const url = new URL(value);
    return !url.username && !url.password;
  }, "must not contain credentials");

const ProviderSchema = z
  .object({
    client_id: singleLine().min(1).max(512),
    client_secret: z.string().min(1).max(8192).openapi({ format: "password" }),
    issuer: issuerUrl.optional().openapi({ description: "Generic OpenID Connect: the issuer to discover" }),
    scopes: z
      .array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]{1,200}$/, "must be a scope token"))
      .max(50)
      .optional(),
    enabled: z.boolean().optional(),
  })
  .strict()
  .openapi("OAuthProviderInput");

const putProvider = createRoute({
  method: "put",
  path: "/t/{tenant}/v1/admin/oauth-providers/{provider}",
  tags: ["Administration"],
  summary: "Configure an upstream OAuth 2.0 / OpenID Connect provider",
  description:
    "`provider` is a catalogue name (google, github, microsoft, apple, gitlab, discord) or a name of the tenant's " +
    "choosing for a generic OpenID Connect provider, which needs `issuer`. The client secret is stored sealed and " +
    "never returned.",
  security: [{ bearer: [] }],
  middleware: [comparesEntityTags, requireServiceScope(ADMIN_SCOPE), acceptBody("json")] as const,
  request: {
    params: TenantParamSchema.extend({
      provider: z.string().openapi({ param: { name: "provider", in: "path" }, example: "google" }),
    }),
    body: { required: true, content: { "application/json": { schema: ProviderSchema } } },
  },
  responses: {
    200: { description: "Stored", headers: ETAG, content: { "application/json": { schema: StoredProviderSchema } } },
    ...problems(400, 401, 403, 404, 413, 415),
  },
});

export const adminRoutes = createRouter()
  .openapi(putRedirectUris, async (c) => {
    const uris = [...new Set(c.req.valid("json").redirect_uris)];
    const basis = await tenantBasis(c, redirectUrisView);
    const tenant = await c
      .get("services")
      .tenants.updateSettings(c.get("tenant"), { redirect_uris: uris }, undefined, basis);
    const view = redirectUrisView(tenant);
    await tagged(c, view);
    return c.json(view, 200);
  })
  .openapi(putProvider, async (c) => {
    const { provider } = c.req.valid("param");
    const body = c.req.valid("json");
    if (!PROVIDER_NAME.test(provider)) {
      throw errors.validation([{ path: "provider", message: "must be 1 to 63 characters of a-z, 0-9 and -" }]);
    }
    const { federation } = c.get("services");
    await ifMatchAnyHolds(c, () => federation.find(c.get("tenant"), provider));
    const basis = await ifMatchBasis(
      c,
      () => federation.find(c.get("tenant"), provider),
      (stored) => providerTag(c, stored),
    );
    const entry = catalogueEntry(provider);
    if (entry.kind === "oidc" && !entry.issuer && !body.issuer) {
      throw errors.validation([{ path: "issuer", message: `is required for the provider "${provider}"` }]);
    }
    const input = {
      clientId: body.client_id,
      clientSecret: body.client_secret,
      issuer: body.issuer ?? null,
      scopes: body.scopes ?? [],
      enabled: body.enabled ?? true,
    };
    const stored = await federation.configure(c.get("tenant"), provider, input, basis);
    c.header("ETag", await providerTag(c, stored));
    return c.json(providerView(stored), 200);
  })
  .openapi(revokeSessions, async (c) => {
    const { id } = c.req.valid("param");
    const { accounts, sessions, apiKeys } = c.get("services");
    const user = UUID_PATTERN.test(id) ? await accounts.findUser(c.get("tenant"), id) : null;
    if (!user) throw errors.notFound("No such user.");
    await settleAll([
      sessions.revokeAllOfUser(c.get("tenant"), user.id),
      c.req.valid("query").include_api_keys === "true" ? apiKeys.revokeAllOfUser(c.get("tenant"), user.id) : null,
    ]);
    return c.body(null, 204);
  });
