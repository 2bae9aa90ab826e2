import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { errors } from "../../core/errors.js";
import { validateAuthorizationRequest } from "../../core/oidc/authorization.js";
import { verifyIdTokenHint } from "../../core/oidc/id-token-hints.js";
import { errorParams } from "../../core/oidc/oauth-error.js";
import { presentParameters } from "../../core/oidc/present-parameters.js";
import type { AppEnv } from "../context.js";
import { isFormType } from "../middleware/body.js";
import { createRouter, HTML_PAGE, pageErrors, queryOrForm } from "../openapi.js";
import { browserBinding } from "../pages/browser.js";
import { TenantParamSchema } from "../schemas.js";
import { proceed, toClient } from "./authorize-flow.js";

/**
 * The authorization endpoint (RFC 6749 §3.1, OIDC Core §3.1.2): client and
 * redirect URI first (an error page while either is in doubt, never a
 * redirect), then every other error at the redirect URI; a valid request is
 * kept server-side and moves through login and consent to a code.
 */
async function authorize(c: Context<AppEnv>, sent: URLSearchParams): Promise<Response> {
  const params = presentParameters(sent);
  const { clients, pendingAuthorizations } = c.get("services");
  const tenant = c.get("tenant");
  const ids = params.getAll("client_id");
  const client = ids.length === 1 ? await clients.find(tenant, ids[0] as string) : null;
  const validation = validateAuthorizationRequest(params, client);
  switch (validation.kind) {
    case "page":
      throw validation.reason === "unknown_client"
        ? errors.validationCode("invalid_client", validation.detail)
        : errors.invalidRedirectUri();
    case "redirect":
      return toClient(c, validation, errorParams(validation.error, validation.description), 302);
    case "valid": {
      const { request } = validation;
      const hintText = params.get("id_token_hint");
      if (hintText) {
        const { keyRing, tokens } = c.get("services");
        const hint = await verifyIdTokenHint(keyRing, tenant, tokens.issuer(tenant), hintText);
        if (!hint) {
          const description = "id_token_hint is not an ID token of this issuer.";
          return toClient(c, request, errorParams("invalid_request", description), 302);
        }
        request.hintSubject = hint.sub;
      }
      const id = await pendingAuthorizations.create(tenant, request, await browserBinding(c));
      return proceed(c, { id, request }, 302);
    }
  }
}

const AuthorizeQuerySchema = z.object({
  response_type: z.literal("code"),
  client_id: z.string(),
  redirect_uri: z.string().openapi({ description: "One of the client's registered URIs, exactly" }),
  scope: z.string().openapi({ description: "Space-separated; must include openid", example: "openid profile email" }),
  state: z.string().max(1024).optional(),
  nonce: z.string().max(512).optional(),
  code_challenge: z.string().openapi({ description: "PKCE (RFC 7636); required for public clients" }).optional(),
  code_challenge_method: z.literal("S256").optional(),
  prompt: z
    .string()
    .openapi({ description: "Space-separated: none (alone), login, consent, select_account" })
    .optional(),
  max_age: z.string().regex(/^\d+$/).optional(),
  response_mode: z.literal("query").optional(),
  login_hint: z.string().max(320).openapi({ description: "Fills in the login form's email" }).optional(),
  id_token_hint: z
    .string()
    .openapi({ description: "An ID token of this issuer: only its user may be the answer" })
    .optional(),
  acr_values: z.string().openapi({ description: "Space-separated, in order of preference" }).optional(),
  ui_locales: z.string().max(128).openapi({ description: "Space-separated BCP 47 tags" }).optional(),
});

/** Documented here, answered by the handler: its failures are pages or redirects, never problem+json. */
function documentAuthorize(router: ReturnType<typeof createRouter>, method: "get" | "post") {
  router.openAPIRegistry.registerPath({
    method,
    path: "/t/{tenant}/authorize",
    tags: ["OpenID Provider"],
    summary: `Authorization endpoint (OIDC Core §3.1.2)${method === "post" ? ", the parameters as a form" : ""}`,
    description:
      "Starts the authorization code flow at the hosted login and consent pages. An unknown client or a " +
      "redirect_uri that is not registered answers a 400 page and never redirects; every other error returns " +
      "to the redirect_uri with `error`, `state` and `iss` (RFC 9207). A parameter sent without a value counts " +
      "as omitted (RFC 6749 §3.1); `request`, `request_uri` and `claims` are not supported.",
    request: queryOrForm(method, TenantParamSchema, AuthorizeQuerySchema),
    responses: {
      302: { description: "To the login or consent page, or back to the redirect_uri with `code` or `error`" },
      400: { description: "A page: unknown client_id or unregistered redirect_uri", content: HTML_PAGE },
      // Only a POST has a body to refuse.
      ...(method === "post" ? pageErrors(413, 415) : {}),
    },
  });
}

export const authorizeRoutes = createRouter();
documentAuthorize(authorizeRoutes, "get");
documentAuthorize(authorizeRoutes, "post");

authorizeRoutes.get("/t/:tenant/authorize", (c) => authorize(c, new URL(c.req.url).searchParams));
// OIDC Core §3.1.2.1: the same parameters as a form POST.
authorizeRoutes.post("/t/:tenant/authorize", async (c) => {
  if (!isFormType(c.req.header("content-type"))) {
    throw errors.unsupportedMediaType("application/x-www-form-urlencoded");
  }
  return authorize(c, new URLSearchParams(await c.req.text()));
});
