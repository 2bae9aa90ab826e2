import { z } from "@hono/zod-openapi";
import { pageErrors, problems } from "../openapi.js";
import { email, password, singleLine } from "../schemas.js";
import {
  challenge,
  challengeId,
  credential,
  csrf,
  type Described,
  FORM_REFUSALS,
  json,
  named,
  page,
  redirect,
  request,
} from "./hosted-pages-parts.js";

/** The hosted login flow's pages: login, its second step and upstream buttons, sign-up, consent. */
export const LOGIN_PAGES: Described[] = [
  {
    method: "get",
    path: "/t/{tenant}/login",
    summary: "The login page: email and password, passkey, the tenant's upstream providers and SAML connections",
    query: z.object({ request }),
    responses: {
      200: page("The login page, or, signed in without a request, the signed-in page"),
      ...pageErrors(400),
      409: page("The request was answered already in this browser (a second submit, Back): a link back to the client"),
    },
  },
  {
    method: "post",
    path: "/t/{tenant}/login",
    summary: "The login page's form: a password login",
    form: z.object({ csrf, request, email, password }),
    responses: {
      303: redirect(
        "Logged in (to the pending request, or the login page), or on to the second step or its enrollment",
      ),
      400: page("The form again: not valid, or the request expired"),
      401: page("The form again: wrong email or password"),
      403: page("The form again: the account is disabled; or the CSRF token is not this browser's"),
      409: page("The request was answered already (an overlapping or second submit, Back): a link back to the client"),
      423: page("The form again: the account is locked; Retry-After"),
      ...pageErrors(413, 415),
    },
  },
  {
    method: "post",
    path: "/t/{tenant}/login/passkey",
    summary: "The login page's passkey: the signed assertion, posted by its script",
    form: z.object({ csrf, request, credential, challenge_id: challengeId }),
    responses: {
      303: redirect("Logged in: to the pending request, or the login page"),
      400: page("The login page again: no assertion, or the request expired"),
      401: page("The login page again: the passkey was refused"),
      ...FORM_REFUSALS,
    },
  },
  {
    method: "get",
    path: "/t/{tenant}/login/mfa",
    summary: "The second step of a login: a code from the authenticator app, a recovery code or a passkey",
    query: z.object({
      request,
      challenge,
      kind: z.enum(["totp", "recovery_code"]).optional().openapi({ description: "Which code the form asks for" }),
    }),
    responses: {
      200: page("The code form"),
      303: redirect("To the enrollment page, when the challenge is an enrollment's"),
      400: page("The login page: the challenge is gone (log in again), or the request expired"),
    },
  },
  {
    method: "post",
    path: "/t/{tenant}/login/mfa",
    summary: "The second step's form: a code",
    form: z.object({ csrf, request, challenge, kind: z.enum(["totp", "recovery_code"]).optional(), code: z.string() }),
    responses: {
      303: redirect("Logged in: to the pending request, or the login page"),
      400: page("The form again (a wrong code), or the login page (the challenge is gone)"),
      423: page("The form again: the account is locked; Retry-After"),
      ...FORM_REFUSALS,
    },
  },
  {
    method: "post",
    path: "/t/{tenant}/login/mfa/passkey/options",
    summary: "Request options for a passkey as the second step (read by the page's script)",
    description: "Not a page: its failures are problem+json for the script.",
    form: z.object({ csrf, challenge }),
    responses: {
      200: json(
        "PublicKeyCredentialRequestOptions (JSON) and its challenge id",
        z.object({ challenge_id: z.string(), options: z.object({}).passthrough() }),
      ),
      ...problems(400, 401, 403, 413, 415),
    },
  },
  {
    method: "post",
    path: "/t/{tenant}/login/mfa/passkey",
    summary: "The passkey's assertion as the second step",
    form: z.object({ csrf, request, challenge, credential, challenge_id: challengeId }),
    responses: {
      303: redirect("Logged in: to the pending request, or the login page"),
      400: page("The second step again (no assertion), or the login page (the challenge is gone)"),
      401: page("The second step again: the passkey was refused (it counts as a wrong code)"),
      ...FORM_REFUSALS,
    },
  },
  {
    method: "get",
    path: "/t/{tenant}/login/mfa/enroll",
    summary: "Enrollment during a login the MFA policy binds: a new authenticator key as a QR code and text",
    query: z.object({ request, challenge }),
    responses: { 200: page("The new key and the code form"), 400: page("The login page: the challenge is gone") },
  },
  {
    method: "post",
    path: "/t/{tenant}/login/mfa/enroll",
    summary: "The enrollment's form: the first code, which confirms the key and shows the recovery codes once",
    form: z.object({ csrf, request, challenge, code: z.string() }),
    responses: {
      200: page("The recovery codes, shown once"),
      303: redirect("Logged in, or the enrollment page again"),
      400: page("The form again (a wrong code), or the login page (the challenge is gone)"),
      423: page("The form again: the account is locked; Retry-After"),
      ...FORM_REFUSALS,
    },
  },
  {
    method: "post",
    path: "/t/{tenant}/login/mfa/enroll/continue",
    summary: "After the recovery codes: continues the pending authorization",
    form: z.object({ csrf, request }),
    responses: { 303: redirect("To the pending request, or the login page"), ...pageErrors(400), ...FORM_REFUSALS },
  },
  {
    method: "get",
    path: "/t/{tenant}/login/federated/oauth/{provider}",
    summary: "A login page button: starts the login at an upstream OAuth 2.0 / OpenID Connect provider",
    params: named("provider"),
    query: z.object({ request }),
    responses: { 302: redirect("To the provider"), ...pageErrors(400, 404) },
  },
  {
    method: "get",
    path: "/t/{tenant}/login/federated/saml/{connection}",
    summary: "A login page button: starts the login at a SAML identity provider",
    params: named("connection"),
    query: z.object({ request }),
    responses: { 302: redirect("To the identity provider"), ...pageErrors(400, 404) },
  },
  {
    method: "get",
    path: "/t/{tenant}/login/federated/return",
    summary: "Where an upstream login comes back; the service redeems its one-time code itself and resumes the sign-in",
    query: z.object({
      state: z.string().optional(),
      code: z.string().optional(),
      error: z.string().optional(),
      error_description: z.string().optional(),
    }),
    responses: {
      302: redirect("Logged in (to the pending request), or on to the second step"),
      400: page("The login page (the upstream refused), or an error page (an unknown state or code)"),
      403: page("The account is disabled"),
    },
  },
  {
    method: "get",
    path: "/t/{tenant}/signup",
    summary: "The sign-up page",
    query: z.object({ request }),
    responses: { 200: page("The sign-up form"), ...pageErrors(400) },
  },
  {
    method: "post",
    path: "/t/{tenant}/signup",
    summary: "The sign-up page's form",
    form: z.object({ csrf, request, email, password, name: singleLine().max(200).optional() }),
    responses: {
      303: redirect("Signed up and logged in, or on to the enrollment the MFA policy asks for"),
      400: page("The form again: not valid (the password policy's words), or the request expired"),
      409: page(
        "The form again: the address has an account; or the request was answered already (a link back to the client)",
      ),
      ...FORM_REFUSALS,
    },
  },
  {
    method: "get",
    path: "/t/{tenant}/consent",
    summary: "The consent page for a third-party client",
    query: z.object({ request: z.string() }),
    responses: {
      200: page("The client and the scopes it asks for"),
      302: redirect("Nothing to ask (or no session): on with the flow"),
      ...pageErrors(400),
      409: page("The request was answered already in this browser (a second submit, Back): a link back to the client"),
    },
  },
  {
    method: "post",
    path: "/t/{tenant}/consent",
    summary: "The consent page's form: allow or deny",
    form: z.object({
      csrf,
      request: z.string(),
      session: z.string().openapi({ description: "The session the page was shown to" }),
      decision: z.enum(["allow", "deny"]),
    }),
    responses: {
      303: redirect("To the client with a code or access_denied, or on with the flow"),
      ...pageErrors(400),
      409: page("The request was answered already (an overlapping or second submit, Back): a link back to the client"),
      ...FORM_REFUSALS,
    },
  },
];
