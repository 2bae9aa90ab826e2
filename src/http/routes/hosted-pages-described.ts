import { type OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../context.js";
import { pageErrors, problems } from "../openapi.js";
import { email, mailedToken, password, TenantParamSchema } from "../schemas.js";
import { LOGIN_PAGES } from "./hosted-login-pages-described.js";
import {
  credential,
  csrf,
  type Described,
  FORM_REFUSALS,
  factorId,
  json,
  page,
  redirect,
  TAG,
} from "./hosted-pages-parts.js";

/**
 * The hosted pages in the OpenAPI document. Their routes are plain Hono
 * routes that read their forms themselves (a page re-renders a bad form; a
 * zod-openapi validator would answer problem+json first), so they are only
 * described here, never validated by these schemas. The layers around every
 * route add 404 tenant_not_found, 429 and 503, and say every failure here is
 * a page (openapi-document.ts); the test that checks docs/reference/http.md
 * fails when a mounted route is missing from the document.
 */

/** The account's pages: password recovery, address verification, second factors; the error page. */
const ACCOUNT_PAGES: Described[] = [
  {
    method: "get",
    path: "/t/{tenant}/password/forgot",
    summary: "Asks for the address to send a reset link to",
    responses: { 200: page("The form") },
  },
  {
    method: "post",
    path: "/t/{tenant}/password/forgot",
    summary: "The forgotten-password form",
    form: z.object({ csrf, email }),
    responses: {
      303: redirect("Sent (whether or not the address has an account): to the sent page"),
      400: page("The form again: not an email address"),
      ...FORM_REFUSALS,
    },
  },
  {
    method: "get",
    path: "/t/{tenant}/password/forgot/sent",
    summary: "Says a reset link is on its way (whether or not the address has an account)",
    responses: { 200: page("The sent page") },
  },
  {
    method: "get",
    path: "/t/{tenant}/password/reset",
    summary: "The target of a mailed reset link: a form for the new password (a GET never spends the link)",
    query: z.object({ token: mailedToken.optional() }),
    responses: { 200: page("The new-password form"), 400: page("The link is unknown, spent or expired") },
  },
  {
    method: "post",
    path: "/t/{tenant}/password/reset",
    summary: "The new-password form",
    form: z.object({ csrf, token: mailedToken, password }),
    responses: {
      303: redirect("Done: to the done page"),
      400: page("The form again (the password policy's words), or the link is dead"),
      ...FORM_REFUSALS,
    },
  },
  {
    method: "get",
    path: "/t/{tenant}/password/reset/done",
    summary: "Says the password is set, with a link to sign in",
    responses: { 200: page("The page") },
  },
  {
    method: "get",
    path: "/t/{tenant}/email/verify",
    summary: "The target of a mailed verification link: a button that confirms",
    query: z.object({ token: mailedToken.optional() }),
    responses: { 200: page("The button"), 400: page("The link is unknown, spent or expired") },
  },
  {
    method: "post",
    path: "/t/{tenant}/email/verify",
    summary: "The confirmation button",
    form: z.object({ csrf, token: mailedToken }),
    responses: {
      303: redirect("Done: to the done page"),
      400: page("The link is unknown, spent or expired"),
      409: page("The new address has an account meanwhile"),
      ...FORM_REFUSALS,
    },
  },
  {
    method: "get",
    path: "/t/{tenant}/email/verify/done",
    summary: "Says the address is confirmed",
    responses: { 200: page("The page") },
  },
  {
    method: "get",
    path: "/t/{tenant}/account/security",
    summary: "The signed-in user's second factors: authenticator app, passkeys, recovery codes",
    responses: { 200: page("The factors, or (without a session) a page saying to sign in first") },
  },
  {
    method: "post",
    path: "/t/{tenant}/account/security/totp",
    summary: "Starts adding an authenticator app (QR code and key)",
    form: z.object({ csrf }),
    responses: {
      200: page("The new key, or the sign-in-first page"),
      403: page("A second-factor login within 5 minutes is needed; or the CSRF token is not this browser's"),
      ...pageErrors(413, 415),
    },
  },
  {
    method: "post",
    path: "/t/{tenant}/account/security/totp/confirm",
    summary: "Confirms the authenticator app with a first code",
    form: z.object({ csrf, id: factorId, code: z.string() }),
    responses: {
      200: page("The recovery codes (the first factor), the security page, or the sign-in-first page"),
      400: page("The form again: a wrong code"),
      423: page("The form again: the account is locked; Retry-After"),
      ...pageErrors(404),
      ...FORM_REFUSALS,
    },
  },
  {
    method: "post",
    path: "/t/{tenant}/account/security/factors/remove",
    summary: "Removes a factor, a passkey included (needs a second-factor login within 5 minutes)",
    form: z.object({ csrf, id: factorId }),
    responses: {
      200: page("The security page, or the sign-in-first page"),
      403: page("A second-factor login within 5 minutes is needed; or the CSRF token is not this browser's"),
      ...pageErrors(404, 413, 415),
    },
  },
  {
    method: "post",
    path: "/t/{tenant}/account/security/passkeys/options",
    summary: "Creation options for a new passkey (read by the page's script)",
    description: "Not a page: its failures are problem+json for the script.",
    form: z.object({ csrf }),
    responses: {
      200: json("PublicKeyCredentialCreationOptions (JSON)", z.object({ options: z.object({}).passthrough() })),
      ...problems(400, 403, 413, 415),
    },
  },
  {
    method: "post",
    path: "/t/{tenant}/account/security/passkeys",
    summary: "Stores the passkey the browser created",
    form: z.object({ csrf, credential, name: z.string().optional() }),
    responses: {
      200: page("The recovery codes (the first factor), the security page, or the sign-in-first page"),
      400: page("The security page again: the passkey or its name was refused"),
      ...FORM_REFUSALS,
    },
  },
  {
    method: "post",
    path: "/t/{tenant}/account/security/passkeys/rename",
    summary: "Renames a passkey",
    form: z.object({ csrf, id: factorId, name: z.string() }),
    responses: {
      200: page("The security page, or the sign-in-first page"),
      400: page("The security page again: the name was refused"),
      ...pageErrors(404),
      ...FORM_REFUSALS,
    },
  },
  {
    method: "get",
    path: "/t/{tenant}/error",
    summary: "The error page that ends a flow elsewhere (`?error=` from a fixed list; no text from the URL is shown)",
    query: z.object({ error: z.string().optional() }),
    responses: { 400: page("The error page") },
  },
];

const ASSETS: { path: string; summary: string; type: string }[] = [
  { path: "/assets/hosted.css", summary: "The hosted pages' one stylesheet", type: "text/css" },
  {
    path: "/assets/passkey.js",
    summary: "The passkey buttons of the login, second-step and security pages (and the form guard of forms.js)",
    type: "text/javascript",
  },
  {
    path: "/assets/forms.js",
    summary: "The form pages' script: a form is sent once (a double click sends one request)",
    type: "text/javascript",
  },
];

/** Registers the hosted pages and their assets in `app`'s document (describes them; changes no route). */
export function describeHostedPages(app: OpenAPIHono<AppEnv>): void {
  for (const { method, path, summary, description, params, query, form, responses } of [
    ...LOGIN_PAGES,
    ...ACCOUNT_PAGES,
  ]) {
    app.openAPIRegistry.registerPath({
      method,
      path,
      tags: [TAG],
      summary,
      ...(description ? { description } : {}),
      request: {
        params: params ?? TenantParamSchema,
        ...(query ? { query } : {}),
        ...(form
          ? { body: { required: true, content: { "application/x-www-form-urlencoded": { schema: form } } } }
          : {}),
      },
      responses,
    });
  }
  for (const { path, summary, type } of ASSETS) {
    app.openAPIRegistry.registerPath({
      method: "get",
      path,
      tags: [TAG],
      summary,
      description: "Pages name it with its version in the query; cached for a year (immutable).",
      responses: {
        200: { description: "The file; ETag", content: { [type]: { schema: z.string() } } },
        304: { description: "Not modified (If-None-Match)" },
      },
    });
  }
}
