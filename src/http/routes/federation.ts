import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { PROVIDER_NAME } from "../../core/federation/catalogue.js";
import type { AppEnv } from "../context.js";
import { finishFirstStep, LoginResponseSchema } from "../login-answer.js";
import { acceptBody } from "../middleware/body.js";
import { ACCOUNT_DISABLED, createRouter, problems, REFRESH_COOKIE } from "../openapi.js";
import { cookieFlag, TenantParamSchema } from "../schemas.js";

const ProviderParams = TenantParamSchema.extend({
  provider: z.string().openapi({ param: { name: "provider", in: "path" }, example: "google" }),
});

const AuthorizeQuery = z.object({
  redirect_uri: z.string().max(2048).openapi({ description: "Exactly one of the tenant's redirect allowlist" }),
  state: z.string().max(512).optional(),
  code_challenge: z.string().max(128).optional().openapi({ description: "PKCE S256 challenge of the client app" }),
  code_challenge_method: z.string().max(16).optional(),
});

const redirectResponse = {
  302: { description: "To the provider, or back to the client app", headers: z.object({ Location: z.string() }) },
};

const authorize = createRoute({
  method: "get",
  path: "/t/{tenant}/v1/oauth/{provider}/authorize",
  tags: ["Federation"],
  summary: "Start a login at an upstream provider (Authorization Code + PKCE)",
  request: { params: ProviderParams, query: AuthorizeQuery },
  responses: { ...redirectResponse, ...problems(400, 404) },
});

const callbackQuery = z.object({
  state: z.string().optional(),
  code: z.string().optional(),
  error: z.string().optional(),
});

const callback = createRoute({
  method: "get",
  path: "/t/{tenant}/v1/oauth/{provider}/callback",
  tags: ["Federation"],
  summary: "The provider's redirect back (the redirect URI registered at the provider)",
  request: { params: ProviderParams, query: callbackQuery.passthrough() },
  responses: { ...redirectResponse, ...problems(400, 404) },
});

const callbackForm = createRoute({
  method: "post",
  path: "/t/{tenant}/v1/oauth/{provider}/callback",
  tags: ["Federation"],
  summary: "The provider's answer as a form POST (response_mode=form_post, e.g. Apple)",
  middleware: [acceptBody("form")] as const,
  request: {
    params: ProviderParams,
    body: { content: { "application/x-www-form-urlencoded": { schema: callbackQuery.passthrough() } } },
  },
  responses: { 303: redirectResponse[302], ...problems(400, 404, 415) },
});

const ExchangeSchema = z
  .object({
    code: z.string().max(512),
    code_verifier: z.string().max(128).optional(),
    cookie: cookieFlag,
  })
  .openapi("TokenExchange");

const exchange = createRoute({
  method: "post",
  path: "/t/{tenant}/v1/token/exchange",
  tags: ["Federation"],
  summary: "Turn a one-time code into tokens and a session",
  description:
    "As at `POST /v1/login`, a user with a second factor gets the `mfa_required` challenge instead of tokens " +
    "(and a user the tenant's MFA policy binds without one, the enrollment challenge); the finished login's " +
    "`amr` keeps the upstream's method (`oauth`, `saml`). Unless the tenant trusts its upstreams' own MFA " +
    "(`federated_logins: trust_upstream` at `PUT /v1/admin/mfa-policy`).",
  middleware: [acceptBody("json")] as const,
  request: {
    params: TenantParamSchema,
    body: { required: true, content: { "application/json": { schema: ExchangeSchema } } },
  },
  responses: {
    200: {
      description: "Tokens, or a second factor is needed",
      content: { "application/json": { schema: LoginResponseSchema } },
      headers: REFRESH_COOKIE,
    },
    ...problems(400, 404, 413, 415),
    403: ACCOUNT_DISABLED,
  },
});

/** `{issuer}/v1/oauth/{provider}/callback`: what the tenant registers at the provider. */
const callbackUri = (c: Context<AppEnv>, provider: string) =>
  `${c.get("services").tokens.issuer(c.get("tenant"))}/v1/oauth/${provider}/callback`;

const known = (provider: string) => PROVIDER_NAME.test(provider);

/** The provider's answer, by query (GET) or form (POST), ends in a redirect to the client app. */
async function finishAtCallback(c: Context<AppEnv>, provider: string, params: URLSearchParams, status: 302 | 303) {
  const { location } = await c
    .get("services")
    .federation.callback(c.get("tenant"), provider, callbackUri(c, provider), params);
  c.header("Cache-Control", "no-store");
  return c.redirect(location, status);
}

export const federationRoutes = createRouter()
  .openapi(authorize, async (c) => {
    const { provider } = c.req.valid("param");
    const query = c.req.valid("query");
    const { location } = await c
      .get("services")
      .federation.authorize(c.get("tenant"), known(provider) ? provider : "-", callbackUri(c, provider), {
        redirectUri: query.redirect_uri,
        state: query.state ?? null,
        codeChallenge: query.code_challenge ?? null,
        codeChallengeMethod: query.code_challenge_method ?? null,
      });
    c.header("Cache-Control", "no-store");
    return c.redirect(location, 302);
  })
  .openapi(callback, (c) => finishAtCallback(c, c.req.valid("param").provider, new URL(c.req.url).searchParams, 302))
  .openapi(callbackForm, (c) => {
    const form = Object.entries(c.req.valid("form")).map(([key, value]) => [key, String(value)] as [string, string]);
    return finishAtCallback(c, c.req.valid("param").provider, new URLSearchParams(form), 303);
  })
  .openapi(exchange, async (c) => {
    const body = c.req.valid("json");
    const { user, method } = await c.get("services").logins.exchange(c.get("tenant"), body.code, body.code_verifier);
    return c.json(await finishFirstStep(c, user, method, body.cookie === true), 200);
  });
