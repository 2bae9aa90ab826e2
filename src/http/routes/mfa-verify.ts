import { createRoute, z } from "@hono/zod-openapi";
import type { AuthenticationResponseJSON } from "@simplewebauthn/server";
import { errors } from "../../core/errors.js";
import { ipBucket } from "../../core/net/ip.js";
import { SecondStepTokensSchema, startSession } from "../login-answer.js";
import { acceptBody } from "../middleware/body.js";
import { ACCOUNT_DISABLED, createRouter, problems, REFRESH_COOKIE } from "../openapi.js";
import { cookieFlag, TenantParamSchema } from "../schemas.js";
import { AuthenticationResponseSchema, PasskeyOptionsSchema } from "./passkey-schemas.js";

export const mfaToken = z.string().max(100, "must be at most 100 characters");

const VerifySchema = z
  .object({
    mfa_token: mfaToken,
    type: z.enum(["totp", "recovery_code", "passkey"]),
    code: z
      .string()
      .trim()
      .min(1, "must not be empty")
      .max(64, "must be at most 64 characters")
      .optional()
      .openapi({ description: "For totp and recovery_code" }),
    challenge_id: z.string().max(64).optional().openapi({ description: "For passkey: from the passkey options" }),
    response: AuthenticationResponseSchema.optional().openapi({ description: "For passkey: the assertion" }),
    cookie: cookieFlag,
  })
  .openapi("MfaVerify");

const passkeyOptions = createRoute({
  method: "post",
  path: "/t/{tenant}/v1/mfa/passkeys/authentication/options",
  tags: ["Accounts"],
  summary: "Passkey options for a login's second step",
  description:
    "Request options listing the challenged user's passkeys, and the id of their single-use challenge (5 minutes). " +
    "Send the assertion to `/v1/mfa/verify` with `type: passkey`. The `mfa_token` is not spent here. An " +
    "enrollment challenge has no passkey to assert with (409 `no_second_factor`).",
  middleware: [acceptBody("json")] as const,
  request: {
    params: TenantParamSchema,
    body: {
      required: true,
      content: { "application/json": { schema: z.object({ mfa_token: mfaToken }).openapi("MfaPasskeyOptions") } },
    },
  },
  responses: {
    200: {
      description: "PublicKeyCredentialRequestOptions (JSON) and its challenge id",
      content: { "application/json": { schema: PasskeyOptionsSchema } },
    },
    ...problems(400, 401, 404, 409, 413, 415, 429, 503),
  },
});

const verify = createRoute({
  method: "post",
  path: "/t/{tenant}/v1/mfa/verify",
  tags: ["Accounts"],
  summary: "Finish a login with a second factor",
  description:
    "Spends the login's `mfa_token` with a TOTP or recovery code (`code`), or a passkey assertion " +
    "(`challenge_id`, `response`; 401 `passkey_refused` counts as a wrong code). A wrong code is 400 " +
    "`invalid_mfa_code` and counts against the account's throttle (429, 423); the fifth kills the " +
    "challenge (401 `invalid_mfa_token`: log in again). An enrollment challenge (`enrollment_required`) takes the " +
    "first code of the authenticator started at `/v1/mfa/enroll/totp` (409 `no_second_factor` before that): it " +
    "confirms the authenticator and finishes the login, with the first `recovery_codes`.",
  middleware: [acceptBody("json")] as const,
  request: {
    params: TenantParamSchema,
    body: { required: true, content: { "application/json": { schema: VerifySchema } } },
  },
  responses: {
    200: {
      description: "Logged in",
      content: { "application/json": { schema: SecondStepTokensSchema } },
      headers: REFRESH_COOKIE,
    },
    ...problems(400, 401, 404, 409, 413, 415, 423, 429, 503),
    403: ACCOUNT_DISABLED,
  },
});

/** The second step's proof: a code for totp and recovery_code, an assertion for passkey. */
function proofOf(body: z.infer<typeof VerifySchema>) {
  if (body.type === "passkey") {
    if (body.challenge_id === undefined || body.response === undefined) {
      throw errors.validation([{ path: "response", message: "challenge_id and response are required for a passkey" }]);
    }
    return { kind: "passkey" as const, challengeId: body.challenge_id, response: body.response };
  }
  if (body.code === undefined) throw errors.validation([{ path: "code", message: "is required" }]);
  return { kind: body.type, code: body.code };
}

export const mfaVerifyRoutes = createRouter()
  .openapi(passkeyOptions, async (c) => {
    const started = await c.get("services").mfaLogins.passkeyOptions(c.get("tenant"), c.req.valid("json").mfa_token);
    c.header("Cache-Control", "no-store");
    return c.json({ challenge_id: started.challengeId, options: started.options }, 200);
  })
  .openapi(verify, async (c) => {
    const { mfaLogins, clientIp } = c.get("services");
    const tenant = c.get("tenant");
    const body = c.req.valid("json");
    const proof = proofOf(body);
    const { user, method, recoveryCodes } =
      proof.kind === "passkey"
        ? await mfaLogins.verifyPasskey(
            tenant,
            body.mfa_token,
            proof.challengeId,
            proof.response as AuthenticationResponseJSON,
          )
        : await mfaLogins.verifyCode(tenant, body.mfa_token, proof.kind, proof.code, ipBucket(clientIp(c)));
    const tokens = await startSession(c, user, method, body.cookie === true);
    return c.json(recoveryCodes ? { ...tokens, recovery_codes: recoveryCodes } : tokens, 200);
  });
