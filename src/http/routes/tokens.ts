import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../context.js";
import { acceptBody } from "../middleware/body.js";
import { requireServiceScopeOrClient } from "../middleware/client-auth.js";
import { createRouter, oauthError, problems } from "../openapi.js";
import { TenantParamSchema } from "../schemas.js";

const TokenSchema = z
  .object({
    // No maxLength: an over-long token is unknown, inactive (RFC 7662 §2.2) or revoked as a no-op 200 (RFC 7009 §2.2).
    token: z
      .string()
      .openapi({ description: "Longer than 8192 characters: unknown (inactive; revoking it does nothing)" }),
    token_type_hint: z.string().max(64).optional().openapi({ description: "access_token or refresh_token" }),
  })
  .openapi("TokenBody");

// RFC 7662 §2.1 / RFC 7009 §2.1 send forms; API.md accepts JSON too. The body is optional for the
// validators (each runs only for its media type); acceptBody refuses requests with neither.
const body = {
  required: false,
  content: {
    "application/json": { schema: TokenSchema },
    "application/x-www-form-urlencoded": { schema: TokenSchema },
  },
};

/**
 * An API key's failures are problem+json; an OAuth client's (its authentication, RFC 6749 §5.2, or a request
 * that names the client twice or authenticates two ways) are RFC 6749 §5.2 JSON.
 */
const clientAnswers = {
  ...problems(403, 404, 413, 415),
  400: {
    description: "Invalid request: problem+json (validation_failed, malformed_body), or RFC 6749 §5.2 invalid_request",
    content: { ...problems(400)[400]?.content, ...oauthError("").content },
  },
  401: {
    description:
      "An API key missing or invalid (problem+json, with the Bearer challenge), or a client's authentication failed " +
      '(RFC 6749 §5.2 invalid_client JSON; `WWW-Authenticate: Basic realm="…"` only when the client tried HTTP Basic, ' +
      "none when its credentials came in the form)",
    content: { ...problems(401)[401]?.content, ...oauthError("").content },
  },
};

const IntrospectionSchema = z
  .object({
    active: z.boolean(),
    token_type: z.string().optional(),
    sub: z.string().optional(),
    sid: z.string().optional(),
    tid: z.string().optional(),
    scope: z.string().optional(),
    client_id: z.string().optional(),
    exp: z.number().int().optional(),
    iat: z.number().int().optional(),
    iss: z.string().optional(),
  })
  .passthrough()
  .openapi("Introspection");

const introspect = createRoute({
  method: "post",
  path: "/t/{tenant}/v1/introspect",
  tags: ["Tokens"],
  summary: "Token introspection (RFC 7662; caller: API key with scope tokens:introspect, or a confidential client)",
  description:
    "A confidential OAuth client authenticates with HTTP Basic or client_secret_post (form body) and learns only " +
    "about tokens issued to it: any other token is `{active: false}`. Client authentication failures are " +
    "RFC 6749 §5.2 JSON (`invalid_client`). The bootstrap admin key is taken too.",
  security: [{ bearer: [] }, { client_secret_basic: [] }],
  middleware: [
    requireServiceScopeOrClient("tokens:introspect", { publicClients: false }),
    acceptBody("json", "form"),
  ] as const,
  request: { params: TenantParamSchema, body },
  responses: {
    200: { description: "The token's state", content: { "application/json": { schema: IntrospectionSchema } } },
    ...clientAnswers,
  },
});

const revoke = createRoute({
  method: "post",
  path: "/t/{tenant}/v1/revoke",
  tags: ["Tokens"],
  summary: "Token revocation (RFC 7009; caller: API key with scope tokens:introspect, or an OAuth client)",
  description:
    "A refresh token revokes its session; an access token is refused from now on. 200 for any token. An OAuth " +
    "client revokes only tokens issued to it: a confidential one authenticates (HTTP Basic or " +
    "client_secret_post), a public one sends its `client_id` in the form. Another client's token is left alone, " +
    "with the same 200 (RFC 7009 §2.1). Client authentication failures are RFC 6749 §5.2 JSON " +
    "(`invalid_client`), as at introspection.",
  security: [{ bearer: [] }, { client_secret_basic: [] }],
  middleware: [
    requireServiceScopeOrClient("tokens:introspect", { publicClients: true }),
    acceptBody("json", "form"),
  ] as const,
  request: { params: TenantParamSchema, body },
  responses: { 200: { description: "Done (also for unknown tokens)" }, ...clientAnswers },
});

type TokenBody = z.infer<typeof TokenSchema>;
const tokenBody = (c: Context<AppEnv, string, { out: { json: TokenBody; form: TokenBody } }>): TokenBody =>
  /json/i.test(c.req.header("content-type") ?? "") ? c.req.valid("json") : c.req.valid("form");

export const tokenRoutes = createRouter()
  .openapi(introspect, async (c) => {
    const { token, token_type_hint } = tokenBody(c);
    c.header("Cache-Control", "no-store");
    const { introspection } = c.get("services");
    return c.json(
      await introspection.introspect(c.get("tenant"), token, token_type_hint, c.get("oauthClient")?.clientId),
      200,
    );
  })
  .openapi(revoke, async (c) => {
    const { token } = tokenBody(c);
    await c.get("services").introspection.revoke(c.get("tenant"), token, c.get("oauthClient")?.clientId);
    return c.body(null, 200);
  });
