import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { OAuthError } from "../../core/oidc/oauth-error.js";
import { presentParameters } from "../../core/oidc/present-parameters.js";
import type { AppEnv } from "../context.js";
import { clientFromRequest } from "../middleware/client-auth.js";
import { BASIC_CHALLENGE, createRouter, oauthError, problems } from "../openapi.js";
import { actAs } from "../request-scope.js";
import { TenantParamSchema } from "../schemas.js";
import { unsafeTextErrors } from "../unsafe-text.js";

const PATH = "/t/{tenant}/oauth2/token";
const FORM_TYPE = /^application\/x-www-form-urlencoded\s*(?:;.*)?$/i;

const TokenRequestSchema = z
  .object({
    grant_type: z.enum(["authorization_code", "refresh_token", "client_credentials"]),
    code: z.string().optional().openapi({ description: "authorization_code: the code from the redirect" }),
    redirect_uri: z.string().optional().openapi({ description: "authorization_code: as in the authorization request" }),
    code_verifier: z.string().optional().openapi({ description: "authorization_code: the PKCE verifier (RFC 7636)" }),
    refresh_token: z.string().optional().openapi({ description: "refresh_token: the current refresh token" }),
    scope: z.string().optional().openapi({
      description:
        "refresh_token: a narrower scope; client_credentials: within the client's scopes other than openid, profile and email (a user's)",
    }),
    client_id: z.string().optional().openapi({ description: "client_secret_post, or a public client (none)" }),
    client_secret: z.string().optional().openapi({ description: "client_secret_post" }),
  })
  .openapi("OAuthTokenRequest");

const OAuthTokenSchema = z
  .object({
    access_token: z.string().openapi({ description: "RFC 9068 JWT access token" }),
    token_type: z.literal("Bearer"),
    expires_in: z.number().int(),
    refresh_token: z.string().optional().openapi({ description: "When the client has the refresh_token grant" }),
    id_token: z
      .string()
      .optional()
      .openapi({ description: "When the scope has openid (OpenID Connect Core §3.1.3.3)" }),
    scope: z
      .string()
      .optional()
      .openapi({ description: "The granted scope; absent when none was (a client_credentials client without scopes)" }),
  })
  .openapi("OAuthTokenResponse");

/**
 * RFC 6749 §3.2: a form, each parameter at most once. Anything else is
 * `invalid_request` in the endpoint's own error format (§5.2), and so is
 * text storage could not hold (the app's rule for every input).
 */
async function formOf(c: Context<AppEnv>): Promise<Record<string, string>> {
  if (!FORM_TYPE.test(c.req.header("content-type") ?? "")) {
    throw new OAuthError("invalid_request", "The body must be application/x-www-form-urlencoded (RFC 6749 §3.2).");
  }
  const fields = new Map<string, string>();
  for (const [name, value] of presentParameters(new URLSearchParams(await c.req.text()))) {
    if (fields.has(name)) throw new OAuthError("invalid_request", `Each parameter must be sent once: ${name}.`);
    fields.set(name, value);
  }
  // Own properties even for names like __proto__.
  const form = Object.fromEntries(fields);
  const [unsafe] = unsafeTextErrors(form);
  if (unsafe) throw new OAuthError("invalid_request", `${unsafe.path} ${unsafe.message}.`);
  return form;
}

export const oauthTokenRoutes = createRouter();

// Documented here, validated by the handler: its failures are RFC 6749 §5.2 JSON, not problem+json.
oauthTokenRoutes.openAPIRegistry.registerPath({
  method: "post",
  path: PATH,
  tags: ["OpenID Provider"],
  summary: "Token endpoint (RFC 6749 §3.2): authorization_code with PKCE, refresh_token, client_credentials",
  description:
    "Client authentication: HTTP Basic (client_secret_basic) or client_id and client_secret in the form " +
    "(client_secret_post); a public client sends its client_id alone. Errors are RFC 6749 §5.2 JSON " +
    "(`invalid_request`, `invalid_client` (401), `invalid_grant`, `unauthorized_client`, `unsupported_grant_type`, " +
    "`invalid_scope`). A second presentation of an authorization code revokes the session issued from it.",
  security: [{ client_secret_basic: [] }, {}],
  request: {
    params: TenantParamSchema,
    body: { required: true, content: { "application/x-www-form-urlencoded": { schema: TokenRequestSchema } } },
  },
  responses: {
    200: { description: "Tokens (RFC 6749 §5.1)", content: { "application/json": { schema: OAuthTokenSchema } } },
    400: oauthError("The request or grant is refused (RFC 6749 §5.2)"),
    401: { ...oauthError("Client authentication failed (invalid_client)"), headers: BASIC_CHALLENGE },
    ...problems(413),
  },
});

oauthTokenRoutes.post("/t/:tenant/oauth2/token", async (c) => {
  const form = await formOf(c);
  const { client } = await clientFromRequest(c, form);
  actAs(c.get("scope"), { type: "client", id: client.clientId });
  const { arrivedAt } = c.get("scope");
  const body = await c.get("services").tokenEndpoint.grant(c.get("tenant"), { client, form, arrivedAt });
  // RFC 6749 §5.1: tokens are never cached.
  c.header("Cache-Control", "no-store");
  c.header("Pragma", "no-cache");
  return c.json(body, 200);
});
