import { createRoute, z } from "@hono/zod-openapi";
import { ADMIN_SCOPE } from "../../core/api-keys/key-scopes.js";
import { errors } from "../../core/errors.js";
import type { TotpEnrollment } from "../../core/mfa/mfa.js";
import { ipBucket } from "../../core/net/ip.js";
import { RecoveryCodesSchema } from "../login-answer.js";
import { requireAccessToken, tokenUser } from "../middleware/bearer.js";
import { acceptBody, acceptNoBody } from "../middleware/body.js";
import { requireServiceScope } from "../middleware/service-auth.js";
import { requireStepUp } from "../middleware/step-up.js";
import { createRouter, problems } from "../openapi.js";
import { NO_QUERY, TenantParamSchema, TenantResourceParamSchema, UUID_PATTERN } from "../schemas.js";

const FactorSchema = z
  .object({
    id: z.string(),
    kind: z.enum(["totp", "passkey"]),
    name: z.string().nullable(),
    created_at: z.string().datetime(),
    last_used_at: z.string().datetime().nullable(),
  })
  .openapi("Factor");

export const TotpEnrollmentSchema = z
  .object({ id: z.string(), secret: z.string(), otpauth_uri: z.string(), qr_svg: z.string() })
  .openapi("TotpEnrollment");

/** The pending authenticator as the routes answer it: the secret in base32, URI and QR code, shown only now. */
export const totpEnrollmentView = (enrollment: TotpEnrollment) => ({
  id: enrollment.id,
  secret: enrollment.secret,
  otpauth_uri: enrollment.otpauthUri,
  qr_svg: enrollment.qrSvg,
});

const own = { security: [{ bearer: [] }], tags: ["Multi-factor authentication"] };

const listFactors = createRoute({
  ...own,
  method: "get",
  path: "/t/{tenant}/v1/mfa/factors",
  summary: "The caller's confirmed second factors and how many recovery codes are left",
  middleware: [requireAccessToken()] as const,
  request: { params: TenantParamSchema },
  responses: {
    200: {
      description: "Factors",
      content: {
        "application/json": {
          schema: z.object({ factors: z.array(FactorSchema), recovery_codes_left: z.number().int() }),
        },
      },
    },
    ...problems(401, 403, 404),
  },
});

const enrollTotp = createRoute({
  ...own,
  method: "post",
  path: "/t/{tenant}/v1/mfa/totp",
  summary: "Start adding an authenticator app (TOTP)",
  description:
    "Answers a new secret, as base32 and as an `otpauth://` URI and its QR code (SVG), once: it is stored sealed " +
    "and never shown again. The authenticator counts once confirmed with a code; a new enrollment replaces an " +
    "unconfirmed one. 409 when the caller has a confirmed authenticator. " +
    "A caller who has a second factor (a passkey) needs a login with one within the last 5 minutes (otherwise 403 " +
    "`step_up_required`): a stolen session must not add a factor of its own.",
  middleware: [requireAccessToken(), requireStepUp("new_factor")] as const,
  request: { params: TenantParamSchema },
  responses: {
    201: {
      description: "Pending authenticator",
      content: {
        "application/json": {
          schema: TotpEnrollmentSchema,
        },
      },
    },
    ...problems(401, 403, 404, 409),
  },
});

const confirmTotp = createRoute({
  ...own,
  method: "post",
  path: "/t/{tenant}/v1/mfa/totp/{id}/confirm",
  summary: "Confirm an authenticator app with a current code",
  description:
    "RFC 6238 (SHA-1, 6 digits, 30 s, one step of drift either side). With the caller's first factor, the answer " +
    "carries the first recovery codes. Attempts are throttled per account (429/423).",
  middleware: [requireAccessToken(), acceptBody("json")] as const,
  request: {
    params: TenantResourceParamSchema,
    body: {
      required: true,
      content: { "application/json": { schema: z.object({ code: z.string().max(32) }).openapi("TotpConfirmation") } },
    },
  },
  responses: {
    200: {
      description: "Confirmed",
      content: { "application/json": { schema: z.object({ recovery_codes: RecoveryCodesSchema.optional() }) } },
    },
    ...problems(400, 401, 403, 404, 409, 413, 415, 423, 429, 503),
  },
});

const removeFactor = createRoute({
  ...own,
  method: "delete",
  path: "/t/{tenant}/v1/mfa/factors/{id}",
  summary: "Remove one of the caller's second factors",
  description: "Needs a login with a second factor within the last 5 minutes (otherwise 403 `step_up_required`).",
  middleware: [requireAccessToken(), requireStepUp()] as const,
  request: { params: TenantResourceParamSchema },
  responses: { 204: { description: "Removed" }, ...problems(401, 403, 404) },
});

const regenerateCodes = createRoute({
  ...own,
  method: "post",
  path: "/t/{tenant}/v1/mfa/recovery-codes",
  summary: "Replace the caller's recovery codes with ten new ones",
  description:
    "Every earlier code stops working. 409 when the caller has no second factor. Needs a login with a second " +
    "factor within the last 5 minutes (otherwise 403 `step_up_required`).",
  middleware: [requireAccessToken(), requireStepUp()] as const,
  request: { params: TenantParamSchema },
  responses: {
    200: {
      description: "New codes",
      content: { "application/json": { schema: z.object({ recovery_codes: RecoveryCodesSchema }) } },
    },
    ...problems(401, 403, 404, 409),
  },
});

const adminReset = createRoute({
  security: [{ bearer: [] }],
  tags: ["Administration"],
  method: "post",
  path: "/t/{tenant}/v1/admin/users/{id}/mfa/reset",
  summary: "Remove every second factor and recovery code of a user",
  description:
    "For a user who lost their factors; they log in with the password alone until they enroll again (under a " +
    "policy that binds them, their next login enrolls a factor first).",
  middleware: [requireServiceScope(ADMIN_SCOPE), acceptNoBody()] as const,
  request: { params: TenantResourceParamSchema, query: NO_QUERY },
  responses: { 204: { description: "Reset" }, ...problems(400, 401, 403, 404) },
});

/** Factor ids are UUIDs; anything else names no factor. */
const factorIdOf = (id: string, what: string) => {
  if (!UUID_PATTERN.test(id)) throw errors.notFound(`No such ${what}.`);
  return id.toLowerCase();
};

export const mfaRoutes = createRouter()
  .openapi(listFactors, async (c) => {
    const { mfa } = c.get("services");
    const [factors, left] = await Promise.all([
      mfa.list(c.get("tenant"), c.get("auth").sub),
      mfa.recoveryCodesLeft(c.get("tenant"), c.get("auth").sub),
    ]);
    return c.json(
      {
        factors: factors.map((f) => ({
          id: f.id,
          kind: f.kind,
          name: f.name,
          created_at: f.createdAt.toISOString(),
          last_used_at: f.lastUsedAt?.toISOString() ?? null,
        })),
        recovery_codes_left: left,
      },
      200,
    );
  })
  .openapi(enrollTotp, async (c) => {
    const enrollment = await c.get("services").mfa.enrollTotp(c.get("tenant"), await tokenUser(c));
    return c.json(totpEnrollmentView(enrollment), 201);
  })
  .openapi(confirmTotp, async (c) => {
    const { mfa, clientIp } = c.get("services");
    const id = factorIdOf(c.req.valid("param").id, "authenticator");
    const { recoveryCodes } = await mfa.confirmTotp(
      c.get("tenant"),
      c.get("auth").sub,
      id,
      c.req.valid("json").code,
      ipBucket(clientIp(c)),
    );
    return c.json(recoveryCodes ? { recovery_codes: recoveryCodes } : {}, 200);
  })
  .openapi(removeFactor, async (c) => {
    await c
      .get("services")
      .mfa.removeFactor(c.get("tenant"), c.get("auth").sub, factorIdOf(c.req.valid("param").id, "factor"));
    return c.body(null, 204);
  })
  .openapi(regenerateCodes, async (c) => {
    const codes = await c.get("services").mfa.regenerateRecoveryCodes(c.get("tenant"), c.get("auth").sub);
    return c.json({ recovery_codes: codes }, 200);
  })
  .openapi(adminReset, async (c) => {
    const { accounts, mfa } = c.get("services");
    const user = await accounts.findUser(c.get("tenant"), factorIdOf(c.req.valid("param").id, "user"));
    if (!user) throw errors.notFound("No such user.");
    await mfa.resetAll(c.get("tenant"), user.id, "admin");
    return c.body(null, 204);
  });
