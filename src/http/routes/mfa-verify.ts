import { createRoute, z } from "@hono/zod-openapi";
import { ipBucket } from "../../core/net/ip.js";
import { deliverTokens } from "../cookies.js";
import { acceptBody } from "../middleware/body.js";
import { createRouter, problems } from "../openapi.js";
import { identifyRequest } from "../request-scope.js";
import { cookieFlag, TenantParamSchema, TokenResponseSchema } from "../schemas.js";

const VerifySchema = z
  .object({
    mfa_token: z.string().max(100, "must be at most 100 characters"),
    type: z.enum(["totp", "recovery_code"]),
    code: z.string().trim().min(1, "must not be empty").max(64, "must be at most 64 characters"),
    cookie: cookieFlag,
  })
  .openapi("MfaVerify");

const verify = createRoute({
  method: "post",
  path: "/t/{tenant}/v1/mfa/verify",
  tags: ["Accounts"],
  summary: "Finish a login with a second factor",
  description:
    "Spends the login's `mfa_token` with a TOTP or recovery code. A wrong code is 401 `invalid_mfa_code` " +
    "(with `attempts_left`) and counts against the account's login throttle (429, 423); the fifth kills the " +
    "challenge (401 `invalid_mfa_token`: log in again).",
  middleware: [acceptBody("json")] as const,
  request: {
    params: TenantParamSchema,
    body: { required: true, content: { "application/json": { schema: VerifySchema } } },
  },
  responses: {
    200: { description: "Logged in", content: { "application/json": { schema: TokenResponseSchema } } },
    ...problems(400, 401, 404, 413, 415, 423, 429, 503),
  },
});

export const mfaVerifyRoutes = createRouter().openapi(verify, async (c) => {
  const { mfaLogins, sessions, clientIp } = c.var.services;
  const tenant = c.var.tenant;
  const body = c.req.valid("json");
  const { user, method } = await mfaLogins.verifyCode(
    tenant,
    body.mfa_token,
    body.type,
    body.code,
    ipBucket(clientIp(c)),
  );
  const { response } = await sessions.start(tenant, user, method, {
    userAgent: c.req.header("user-agent") ?? null,
    ip: clientIp(c),
  });
  identifyRequest(user.id, response.session_id);
  c.header("Cache-Control", "no-store");
  return c.json(deliverTokens(c, response, body.cookie === true), 200);
});
