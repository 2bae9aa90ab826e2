import { createRoute, z } from "@hono/zod-openapi";
import type { RegistrationResponseJSON } from "@simplewebauthn/server";
import { SecondStepTokensSchema, startSession } from "../login-answer.js";
import { acceptBody } from "../middleware/body.js";
import { createRouter, problems, REFRESH_COOKIE } from "../openapi.js";
import { cookieFlag, TenantParamSchema } from "../schemas.js";
import { TotpEnrollmentSchema, totpEnrollmentView } from "./mfa.js";
import { mfaToken } from "./mfa-verify.js";
import { passkeyName, RegistrationResponseSchema, WebAuthnOptionsSchema } from "./passkey-schemas.js";

/**
 * A login's first factor (issue 20): when the tenant's MFA policy binds a
 * user who has none, the login answers an enrollment challenge
 * (`enrollment_required`) instead of tokens, and its `mfa_token` enrolls a
 * factor here; the enrolled factor finishes the login. Only an enrollment
 * challenge may: a challenge to verify an existing factor is refused (403),
 * so a stolen password cannot add a factor to an account that has one.
 */

const tags = ["Accounts"];
const MfaTokenSchema = z.object({ mfa_token: mfaToken }).openapi("MfaEnrollmentStart");
const REFUSED =
  "401 `invalid_mfa_token` when the token is unknown, spent, expired or out of attempts; 403 " +
  "`mfa_enrollment_not_allowed` when it is not an enrollment challenge.";

const enrollTotp = createRoute({
  method: "post",
  path: "/t/{tenant}/v1/mfa/enroll/totp",
  tags,
  summary: "Start an authenticator app (TOTP) during a login that must enroll one",
  description:
    "Answers a new secret as at `POST /v1/mfa/totp`, once. Its first code, sent to `POST /v1/mfa/verify` " +
    "(`type: totp`) with the same `mfa_token`, confirms it and finishes the login. A new call replaces the " +
    `pending authenticator. The \`mfa_token\` is not spent here. ${REFUSED}`,
  middleware: [acceptBody("json")] as const,
  request: {
    params: TenantParamSchema,
    body: { required: true, content: { "application/json": { schema: MfaTokenSchema } } },
  },
  responses: {
    201: { description: "Pending authenticator", content: { "application/json": { schema: TotpEnrollmentSchema } } },
    ...problems(400, 401, 403, 404, 413, 415, 429, 503),
  },
});

const passkeyOptions = createRoute({
  method: "post",
  path: "/t/{tenant}/v1/mfa/enroll/passkey/options",
  tags,
  summary: "Options to create a passkey during a login that must enroll a factor",
  description:
    "PublicKeyCredentialCreationOptions for the challenged user; the challenge is good for one registration " +
    `within 5 minutes. The \`mfa_token\` is not spent here. ${REFUSED}`,
  middleware: [acceptBody("json")] as const,
  request: {
    params: TenantParamSchema,
    body: { required: true, content: { "application/json": { schema: MfaTokenSchema } } },
  },
  responses: {
    200: {
      description: "PublicKeyCredentialCreationOptions (JSON)",
      content: { "application/json": { schema: WebAuthnOptionsSchema } },
    },
    ...problems(400, 401, 403, 404, 413, 415, 429, 503),
  },
});

const EnrollPasskeySchema = z
  .object({
    mfa_token: mfaToken,
    response: RegistrationResponseSchema.openapi({ description: "The credential, as `toJSON()` gives it" }),
    name: passkeyName.optional(),
    cookie: cookieFlag,
  })
  .openapi("MfaEnrollPasskey");

const enrollPasskey = createRoute({
  method: "post",
  path: "/t/{tenant}/v1/mfa/enroll/passkey",
  tags,
  summary: "Store the passkey the browser created and finish the login",
  description:
    "Spends the `mfa_token`: the passkey becomes the user's first factor and the answer is the token response " +
    "(amr: the first step's, `hwk` or `swk`, and `mfa`) with the first `recovery_codes`, shown only now. A " +
    `registration that does not verify (400 \`invalid_passkey\`) costs an attempt like a wrong code. ${REFUSED}`,
  middleware: [acceptBody("json")] as const,
  request: {
    params: TenantParamSchema,
    body: { required: true, content: { "application/json": { schema: EnrollPasskeySchema } } },
  },
  responses: {
    200: {
      description: "Logged in",
      content: { "application/json": { schema: SecondStepTokensSchema } },
      headers: REFRESH_COOKIE,
    },
    ...problems(400, 401, 403, 404, 413, 415, 429, 503),
  },
});

export const mfaEnrollRoutes = createRouter()
  .openapi(enrollTotp, async (c) => {
    const enrollment = await c.get("services").mfaLogins.enrollTotp(c.get("tenant"), c.req.valid("json").mfa_token);
    c.header("Cache-Control", "no-store");
    return c.json(totpEnrollmentView(enrollment), 201);
  })
  .openapi(passkeyOptions, async (c) => {
    const options = await c
      .get("services")
      .mfaLogins.passkeyEnrollmentOptions(c.get("tenant"), c.req.valid("json").mfa_token);
    c.header("Cache-Control", "no-store");
    return c.json(options, 200);
  })
  .openapi(enrollPasskey, async (c) => {
    const input = c.req.valid("json");
    const { user, method, recoveryCodes } = await c
      .get("services")
      .mfaLogins.enrollPasskey(
        c.get("tenant"),
        input.mfa_token,
        input.response as RegistrationResponseJSON,
        input.name ?? null,
      );
    const tokens = await startSession(c, user, method, input.cookie === true);
    return c.json(recoveryCodes ? { ...tokens, recovery_codes: recoveryCodes } : tokens, 200);
  });
