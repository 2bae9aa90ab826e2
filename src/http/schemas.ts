import { z } from "@hono/zod-openapi";

/** Shapes API.md names, shared by the routes that return them. */
export const UserSchema = z
  .object({
    id: z.string().uuid(),
    email: z.string(),
    name: z.string().nullable(),
    email_verified: z.boolean(),
    tenant_id: z.string().uuid(),
    created_at: z.string().datetime(),
  })
  .openapi("User");

export const TokenResponseSchema = z
  .object({
    access_token: z.string().openapi({ description: "RFC 9068 JWT access token" }),
    token_type: z.literal("Bearer"),
    expires_in: z.number().int(),
    session_id: z.string().uuid(),
  })
  .openapi("TokenResponse");

export const TenantParamSchema = z.object({
  tenant: z.string().openapi({ param: { name: "tenant", in: "path" }, example: "default" }),
});
