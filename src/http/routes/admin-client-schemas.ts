import { z } from "@hono/zod-openapi";
import type { OAuthClient } from "../../core/oidc/client-types.js";
import { DEFAULT_CLIENT_SCOPES, DEFAULT_GRANT_TYPES } from "../../core/oidc/clients.js";
import { ACCESS_TOKEN_TTL_RANGE, SESSION_IDLE_TTL_RANGE } from "../../core/tenant-settings.js";
import { ScopeSchema, shownName, singleLine, TenantParamSchema } from "../schemas.js";

/** The admin client routes' schemas, and a client as they show it. */

const GRANT_TYPES = ["authorization_code", "refresh_token", "client_credentials"] as const;

const uriList = (description: string) =>
  z
    .array(singleLine().max(2048, "must be at most 2048 characters"))
    .max(100, "must have at most 100 entries")
    .openapi({ description });
const ttl = (range: { min: number; max: number }, description: string) =>
  z.number().int().min(range.min).max(range.max).nullable().openapi({ description });

/** Every field an admin sets, at creation (name, type, redirect_uris required) or in a PATCH (any). */
const clientFields = {
  name: shownName().min(1, "must not be empty").max(200, "must be at most 200 characters"),
  type: z.enum(["public", "confidential"]).openapi({
    description: "confidential: a server that keeps a secret; public: a browser or native app (PKCE only)",
  }),
  redirect_uris: uriList(
    "Exact URIs (compared as strings): https, http on a loopback host, or a native app's private-use scheme; " +
      "no fragment. Needed for authorization_code.",
  ),
  post_logout_redirect_uris: uriList("Where RP-initiated logout may return (exact, same rules)").optional(),
  grant_types: z
    .array(z.enum(GRANT_TYPES))
    .min(1, "must not be empty")
    .max(GRANT_TYPES.length)
    .optional()
    .openapi({ description: `Default ${JSON.stringify(DEFAULT_GRANT_TYPES)}; client_credentials: confidential only` }),
  scopes: z
    .array(ScopeSchema)
    .max(50, "must have at most 50 entries")
    .optional()
    .openapi({ description: `Scopes the client may ask for; default ${JSON.stringify(DEFAULT_CLIENT_SCOPES)}` }),
  first_party: z.boolean().optional().openapi({ description: "First-party clients skip the consent page" }),
  access_token_ttl: ttl(ACCESS_TOKEN_TTL_RANGE, "Seconds; null or absent for the tenant's default").optional(),
  refresh_token_ttl: ttl(SESSION_IDLE_TTL_RANGE, "Seconds; null or absent for the tenant's default").optional(),
};

// Fields the routes do not know (a chosen secret or id) are refused rather than dropped without a word.
export const CreateClientSchema = z.object(clientFields).strict().openapi("ClientInput");
export const UpdateClientSchema = z
  .object({
    ...clientFields,
    name: clientFields.name.optional(),
    type: clientFields.type.optional().openapi({
      description:
        "To confidential: a new secret, in this response only. To public: the secret is removed and every session " +
        "and token issued to the client is revoked. The current type keeps the secret and the sessions as they are.",
    }),
    redirect_uris: clientFields.redirect_uris.optional(),
  })
  .strict()
  .openapi("ClientChanges");

export const ClientSchema = z
  .object({
    client_id: z.string(),
    name: z.string(),
    type: z.enum(["public", "confidential"]),
    redirect_uris: z.array(z.string()),
    post_logout_redirect_uris: z.array(z.string()),
    grant_types: z.array(z.enum(GRANT_TYPES)),
    scopes: z.array(z.string()),
    first_party: z.boolean(),
    access_token_ttl: z.number().int().nullable(),
    refresh_token_ttl: z.number().int().nullable(),
    created_at: z.string().datetime(),
    updated_at: z.string().datetime(),
  })
  .openapi("Client");

export const ClientWithSecretSchema = ClientSchema.extend({
  client_secret: z.string().optional().openapi({ description: "Confidential clients only; shown this once" }),
}).openapi("ClientWithSecret");

export const ChangedClientSchema = ClientSchema.extend({
  client_secret: z
    .string()
    .optional()
    .openapi({ description: "Only when this change made the client confidential: its new secret, shown this once" }),
}).openapi("ChangedClient");

export const clientView = (client: OAuthClient) => ({
  client_id: client.clientId,
  name: client.name,
  type: client.type,
  redirect_uris: client.redirectUris,
  post_logout_redirect_uris: client.postLogoutRedirectUris,
  grant_types: client.grantTypes,
  scopes: client.scopes,
  first_party: client.firstParty,
  access_token_ttl: client.accessTokenTtl,
  refresh_token_ttl: client.refreshTokenTtl,
  created_at: client.createdAt.toISOString(),
  updated_at: client.updatedAt.toISOString(),
});

/** The request's fields in the core's words; absent ones stay undefined (defaults, or unchanged). */
export const clientInput = (body: z.infer<typeof UpdateClientSchema>) => ({
  name: body.name,
  type: body.type,
  redirectUris: body.redirect_uris,
  postLogoutRedirectUris: body.post_logout_redirect_uris,
  grantTypes: body.grant_types,
  scopes: body.scopes,
  firstParty: body.first_party,
  accessTokenTtl: body.access_token_ttl,
  refreshTokenTtl: body.refresh_token_ttl,
});

export const ClientParamSchema = TenantParamSchema.extend({
  client_id: z.string().openapi({ param: { name: "client_id", in: "path" }, example: "k3ZP5mRlQp2x0vYc7uT1bA" }),
});

export const adminOnly = { security: [{ bearer: [] }], tags: ["OpenID Provider"] };
export const clientJson = { "application/json": { schema: ClientSchema } };
