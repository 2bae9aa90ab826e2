import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { DEFAULT_SCOPES } from "../../core/sessions/user-claims.js";
import { jwksOf } from "../../core/signing/key-ring.js";
import { ACR_VALUES } from "../../core/tokens/acr.js";
import type { AppEnv } from "../context.js";
import { etagOf, notModified } from "../etag.js";
import { createRouter, problems } from "../openapi.js";
import { TenantParamSchema } from "../schemas.js";

const strings = z.array(z.string());

/** Everything metadata() sends, named (a field added there and not here fails the discovery test). */
const DiscoverySchema = z
  .object({
    issuer: z.string().url(),
    jwks_uri: z.string().url(),
    authorization_endpoint: z.string().url(),
    token_endpoint: z.string().url(),
    end_session_endpoint: z.string().url(),
    introspection_endpoint: z.string().url(),
    revocation_endpoint: z.string().url(),
    userinfo_endpoint: z.string().url(),
    scopes_supported: strings,
    response_types_supported: strings,
    response_modes_supported: strings,
    grant_types_supported: strings,
    subject_types_supported: strings,
    code_challenge_methods_supported: strings,
    token_endpoint_auth_methods_supported: strings,
    introspection_endpoint_auth_methods_supported: strings,
    revocation_endpoint_auth_methods_supported: strings,
    id_token_signing_alg_values_supported: strings.openapi({
      description: "The algorithms of the tenant's active and next signing keys",
    }),
    access_token_signing_alg_values_supported: strings,
    claims_supported: strings,
    acr_values_supported: strings,
    authorization_response_iss_parameter_supported: z.boolean().openapi({ description: "RFC 9207" }),
    claims_parameter_supported: z.boolean(),
    request_parameter_supported: z.boolean(),
    request_uri_parameter_supported: z.boolean(),
  })
  .passthrough()
  .openapi("OpenIdConfiguration");

const JwksSchema = z
  .object({
    keys: z.array(z.object({ kid: z.string(), alg: z.string(), use: z.literal("sig"), kty: z.string() }).passthrough()),
  })
  .openapi("Jwks");

const discovery = createRoute({
  method: "get",
  path: "/t/{tenant}/.well-known/openid-configuration",
  tags: ["Discovery"],
  summary: "Issuer metadata (OpenID Connect Discovery 1.0, RFC 8414)",
  request: { params: TenantParamSchema },
  responses: {
    200: { description: "Metadata", content: { "application/json": { schema: DiscoverySchema } } },
    ...problems(404),
  },
});

// RFC 8414 §3.1: an issuer with a path has its metadata at the well-known URI with the path inserted after it.
const authorizationServerMetadata = createRoute({
  method: "get",
  path: "/.well-known/oauth-authorization-server/t/{tenant}",
  tags: ["Discovery"],
  summary: "Issuer metadata where RFC 8414 §3.1 looks for it (the same document)",
  request: { params: TenantParamSchema },
  responses: {
    200: { description: "Metadata", content: { "application/json": { schema: DiscoverySchema } } },
    ...problems(404),
  },
});

const jwks = createRoute({
  method: "get",
  path: "/t/{tenant}/.well-known/jwks.json",
  tags: ["Discovery"],
  summary: "The tenant's public signing keys: next, active, and retired until their tokens expire",
  request: { params: TenantParamSchema },
  responses: {
    200: { description: "JWK Set (RFC 7517)", content: { "application/json": { schema: JwksSchema } } },
    304: { description: "Not modified (If-None-Match)" },
    ...problems(404),
  },
});

/** OpenID Connect Core §5.4's scopes and the claims the ID token and UserInfo carry. */
const CLAIMS = ["iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "amr", "acr", "sid", "at_hash"];
const USER_CLAIMS = ["email", "email_verified", "name"];
const CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"];

async function metadata(c: Context<AppEnv>) {
  const { tokens, config, keyRing } = c.get("services");
  const issuer = tokens.issuer(c.get("tenant"));
  // What the tenant signs with: the active key's algorithm, and the next key's (it signs after the
  // next rotation, possibly before a relying party reads this document again).
  const keys = await keyRing.published(c.get("tenant"));
  const algs = [...new Set(keys.filter((k) => k.state !== "retired").map((k) => k.alg))];
  c.header("Cache-Control", `public, max-age=${Math.floor(config.JWKS_MAX_AGE / 1000)}`);
  return c.json(
    {
      issuer,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
      authorization_endpoint: `${issuer}/authorize`,
      token_endpoint: `${issuer}/oauth2/token`,
      userinfo_endpoint: `${issuer}/v1/userinfo`,
      end_session_endpoint: `${issuer}/logout`,
      introspection_endpoint: `${issuer}/v1/introspect`,
      revocation_endpoint: `${issuer}/v1/revoke`,
      scopes_supported: DEFAULT_SCOPES,
      response_types_supported: ["code"],
      response_modes_supported: ["query"],
      grant_types_supported: ["authorization_code", "refresh_token", "client_credentials"],
      subject_types_supported: ["public"],
      code_challenge_methods_supported: ["S256"],
      token_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHODS, "none"],
      introspection_endpoint_auth_methods_supported: ["bearer", ...CLIENT_AUTH_METHODS],
      revocation_endpoint_auth_methods_supported: ["bearer", ...CLIENT_AUTH_METHODS, "none"],
      id_token_signing_alg_values_supported: algs,
      access_token_signing_alg_values_supported: algs,
      claims_supported: [...CLAIMS, ...USER_CLAIMS],
      acr_values_supported: [...ACR_VALUES],
      // RFC 9207: the authorization response names its issuer.
      authorization_response_iss_parameter_supported: true,
      claims_parameter_supported: false,
      request_parameter_supported: false,
      request_uri_parameter_supported: false,
    },
    200,
  );
}

export const discoveryRoutes = createRouter()
  .openapi(discovery, metadata)
  .openapi(authorizationServerMetadata, metadata)
  .openapi(jwks, async (c) => {
    const { keyRing, config, sealer } = c.get("services");
    const body = JSON.stringify(jwksOf(await keyRing.published(c.get("tenant"))));
    const etag = await etagOf(sealer.primitives, body);
    c.header("Cache-Control", `public, max-age=${Math.floor(config.JWKS_MAX_AGE / 1000)}`);
    c.header("ETag", etag);
    if (notModified(c, etag)) return c.body(null, 304);
    return c.body(body, 200, { "Content-Type": "application/json" });
  });
