import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { errors } from "../../core/errors.js";
import { withParams } from "../../core/net/redirect-uri.js";
import { verifyIdTokenHint } from "../../core/oidc/id-token-hints.js";
import type { AppEnv } from "../context.js";
import { createRouter, HTML_PAGE, pageErrors, queryOrForm } from "../openapi.js";
import { checkCsrf } from "../pages/browser.js";
import { LogoutPage } from "../pages/flow-pages.js";
import { readCrossSiteForm } from "../pages/forms.js";
import { MessagePage } from "../pages/message-page.js";
import { pageContext, sendPage } from "../pages/page.js";
import { clearProviderCookie, currentSession, type SignedIn } from "../pages/sso.js";
import { TenantParamSchema } from "../schemas.js";

/**
 * `/t/{tenant}/logout`: the end_session_endpoint (OpenID Connect
 * RP-Initiated Logout 1.0), by GET or by a POST of the same parameters
 * (§2). With a valid `id_token_hint` for this browser's session it signs
 * out at once; otherwise the user confirms (a POST with the CSRF token), so
 * no other site can sign anyone out. Signing out ends the provider session
 * and every client session issued from it. The browser returns to
 * `post_logout_redirect_uri` only when it is registered (exactly) for the
 * client the hint or `client_id` names.
 */

const MAX_STATE = 1024;

interface LogoutRequest {
  /** Where to send the browser afterwards (registered), or null for the signed-out page. */
  redirectUri: string | null;
  state: string | null;
  clientId: string | null;
}

/** Checks the return address against the named client's registered ones (400 page otherwise, never a redirect). */
async function logoutRequest(
  c: Context<AppEnv>,
  input: { redirectUri?: string; state?: string; clientId?: string; hintClientId?: string },
): Promise<LogoutRequest> {
  if (input.hintClientId && input.clientId && input.hintClientId !== input.clientId) {
    throw errors.validationCode("invalid_request", "client_id is not the audience of id_token_hint.");
  }
  // Refused rather than dropped: the RP would get its user back without the state it sent.
  if (input.state && input.state.length > MAX_STATE) {
    throw errors.validationCode("invalid_request", `state is longer than ${MAX_STATE} characters.`);
  }
  const clientId = input.hintClientId ?? input.clientId ?? null;
  const state = input.state ?? null;
  if (!input.redirectUri) return { redirectUri: null, state, clientId };
  const client = clientId ? await c.get("services").clients.find(c.get("tenant"), clientId) : null;
  if (!client?.postLogoutRedirectUris.includes(input.redirectUri)) {
    throw errors.validationCode(
      "invalid_post_logout_redirect_uri",
      "post_logout_redirect_uri is not registered for the client (exact match).",
    );
  }
  return { redirectUri: input.redirectUri, state, clientId };
}

/** Ends the browser's provider session (`current`, read once by the caller) and its children, clears the cookie, and goes where the request says. */
async function signOut(
  c: Context<AppEnv>,
  current: SignedIn | null,
  request: LogoutRequest,
  status: 302 | 303,
): Promise<Response> {
  if (current) await c.get("services").providerSessions.end(c.get("tenant"), current.session.id);
  clearProviderCookie(c);
  c.header("Cache-Control", "no-store");
  if (request.redirectUri) return c.redirect(withParams(request.redirectUri, { state: request.state }), status);
  const page = await pageContext(c);
  const s = page.strings.logout;
  return sendPage(c, page, MessagePage({ page, title: s.doneTitle, kind: "info", message: s.done }));
}

/**
 * The RP's request, by GET or POST. A cross-site POST does not carry the
 * provider cookie (SameSite=Lax), so there no session in sight is no proof
 * that the browser has none: the user confirms on this site instead.
 */
async function rpLogout(c: Context<AppEnv>, param: (name: string) => string | undefined, method: "GET" | "POST") {
  const hintText = param("id_token_hint");
  const { keyRing, tokens } = c.get("services");
  const hint = hintText
    ? await verifyIdTokenHint(keyRing, c.get("tenant"), tokens.issuer(c.get("tenant")), hintText)
    : null;
  const request = await logoutRequest(c, {
    redirectUri: param("post_logout_redirect_uri"),
    state: param("state"),
    clientId: param("client_id"),
    hintClientId: hint?.clientId,
  });
  const current = await currentSession(c);
  // The RP vouches for this very session (or, by GET, the browser has none left): no question to ask.
  const vouched = current ? hint?.sid === current.session.id && hint.sub === current.user.id : method === "GET";
  if (hint && vouched) return signOut(c, current, request, method === "GET" ? 302 : 303);
  const page = await pageContext(c);
  const email = current ? await c.get("services").accounts.address(current.user) : null;
  const hidden = {
    post_logout_redirect_uri: request.redirectUri,
    state: request.state,
    client_id: request.clientId,
  };
  return sendPage(c, page, LogoutPage({ page, hidden, email }), {
    formTargets: request.redirectUri ? [request.redirectUri] : [],
  });
}

const LogoutRequestSchema = z.object({
  id_token_hint: z.string().optional(),
  client_id: z.string().optional(),
  post_logout_redirect_uri: z.string().openapi({ description: "Registered for the client, exactly" }).optional(),
  state: z.string().max(MAX_STATE).optional(),
});

export const hostedLogoutRoutes = createRouter();

for (const method of ["get", "post"] as const) {
  hostedLogoutRoutes.openAPIRegistry.registerPath({
    method,
    path: "/t/{tenant}/logout",
    tags: ["OpenID Provider"],
    summary: `End-session endpoint (OpenID Connect RP-Initiated Logout 1.0)${method === "post" ? ", as a form" : ""}`,
    description:
      "With an id_token_hint for this browser's provider session, signs out at once; otherwise a page asks the " +
      "user to confirm. Returns to post_logout_redirect_uri with `state` only when it is registered for the client.",
    request: queryOrForm(method, TenantParamSchema, LogoutRequestSchema),
    responses: {
      200: { description: "The confirmation page, or the signed-out page", content: HTML_PAGE },
      [method === "get" ? 302 : 303]: { description: "Signed out: back to post_logout_redirect_uri" },
      400: { description: "A page: post_logout_redirect_uri not registered, or a bad request", content: HTML_PAGE },
      // A POST is a form: the RP's request, or the user's confirmation (which carries the page's CSRF token).
      ...(method === "post" ? pageErrors(403, 413, 415) : {}),
    },
  });
}

hostedLogoutRoutes
  .get("/t/:tenant/logout", (c) => rpLogout(c, (name) => c.req.query(name) || undefined, "GET"))
  .post("/t/:tenant/logout", async (c) => {
    // Without a CSRF token, the RP's own request (§2: form-serialized); with one, the user's confirmation.
    const form = await readCrossSiteForm(c);
    if (form.csrf === undefined) return rpLogout(c, (name) => form[name] || undefined, "POST");
    await checkCsrf(c, form.csrf);
    const request = await logoutRequest(c, {
      redirectUri: form.post_logout_redirect_uri || undefined,
      state: form.state || undefined,
      clientId: form.client_id || undefined,
    });
    return signOut(c, await currentSession(c), request, 303);
  });
