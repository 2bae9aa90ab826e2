import type { Context } from "hono";
import { Hono } from "hono";
import { errors } from "../../core/errors.js";
import { validateAuthorizationRequest } from "../../core/oidc/authorization.js";
import type { AppEnv } from "../context.js";
import { isFormType } from "../middleware/body.js";
import { browserBinding } from "../pages/browser.js";
import { proceed, toClient } from "./authorize-flow.js";

/**
 * The authorization endpoint (RFC 6749 §3.1, OIDC Core §3.1.2): client and
 * redirect URI first (an error page while either is in doubt, never a
 * redirect), then every other error at the redirect URI; a valid request is
 * kept server-side and moves through login and consent to a code.
 */
async function authorize(c: Context<AppEnv>, params: URLSearchParams): Promise<Response> {
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
      return toClient(c, validation, { error: validation.error, error_description: validation.description }, 302);
    case "valid": {
      const { request } = validation;
      const id = await pendingAuthorizations.create(tenant, request, await browserBinding(c));
      return proceed(c, { id, request }, 302);
    }
  }
}

export const authorizeRoutes = new Hono<AppEnv>()
  .get("/t/:tenant/authorize", (c) => authorize(c, new URL(c.req.url).searchParams))
  // OIDC Core §3.1.2.1: the same parameters as a form POST.
  .post("/t/:tenant/authorize", async (c) => {
    if (!isFormType(c.req.header("content-type"))) {
      throw errors.unsupportedMediaType("application/x-www-form-urlencoded");
    }
    return authorize(c, new URLSearchParams(await c.req.text()));
  });
