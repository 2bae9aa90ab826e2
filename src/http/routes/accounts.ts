import { createRoute, z } from "@hono/zod-openapi";
import { ipBucket } from "../../core/net/ip.js";
import { inBackground } from "../background.js";
import { deliverTokens } from "../cookies.js";
import { acceptBody } from "../middleware/body.js";
import { createRouter, problems } from "../openapi.js";
import { identifyRequest } from "../request-scope.js";
import {
  cookieFlag,
  email,
  password,
  singleLine,
  TenantParamSchema,
  TokenResponseSchema,
  UserSchema,
} from "../schemas.js";

const SignupSchema = z
  .object({
    email,
    password,
    name: singleLine().trim().max(200, "must be at most 200 characters").optional(),
    cookie: cookieFlag,
  })
  .openapi("Signup");

const LoginSchema = z.object({ email, password, cookie: cookieFlag }).openapi("Login");

const signup = createRoute({
  method: "post",
  path: "/t/{tenant}/v1/signup",
  tags: ["Accounts"],
  summary: "Create a password account and log in",
  middleware: [acceptBody("json")] as const,
  request: {
    params: TenantParamSchema,
    body: { required: true, content: { "application/json": { schema: SignupSchema } } },
  },
  responses: {
    201: {
      description: "Created and logged in",
      content: { "application/json": { schema: TokenResponseSchema.extend({ user: UserSchema }) } },
    },
    ...problems(400, 404, 409, 413, 415),
  },
});

const MfaChallengeSchema = z
  .object({
    mfa_required: z.literal(true),
    mfa_token: z.string().openapi({ description: "Finishes the login at `POST /v1/mfa/verify`; single use" }),
    factors: z.array(z.enum(["totp", "passkey", "recovery_code"])),
    expires_in: z.number().int().openapi({ description: "Seconds the mfa_token lives" }),
  })
  .openapi("MfaChallenge");

const LoginResponseSchema = z
  .union([
    TokenResponseSchema.extend({
      mfa_enrollment_required: z.literal(true).optional().openapi({
        description: "The tenant's MFA policy wants a second factor this user has not enrolled yet",
      }),
    }),
    MfaChallengeSchema,
  ])
  .openapi("LoginResponse");

const login = createRoute({
  method: "post",
  path: "/t/{tenant}/v1/login",
  tags: ["Accounts"],
  summary: "Log in with email and password",
  description:
    "A user with a second factor gets no tokens here: the answer is an `mfa_required` challenge to finish at " +
    "`POST /v1/mfa/verify` within 5 minutes.",
  middleware: [acceptBody("json")] as const,
  request: {
    params: TenantParamSchema,
    body: { required: true, content: { "application/json": { schema: LoginSchema } } },
  },
  responses: {
    200: {
      description: "Logged in, or a second factor is needed",
      content: { "application/json": { schema: LoginResponseSchema } },
    },
    ...problems(400, 401, 404, 413, 415, 423, 429, 503),
  },
});

const PASSWORD_LOGIN = { authMethod: "password", amr: ["pwd"] };

export const accountRoutes = createRouter()
  .openapi(signup, async (c) => {
    const { accounts, sessions, clientIp } = c.var.services;
    const tenant = c.var.tenant;
    const body = c.req.valid("json");
    const user = await accounts.signup(tenant, body);
    const { response } = await sessions.start(tenant, user, PASSWORD_LOGIN, {
      userAgent: c.req.header("user-agent") ?? null,
      ip: clientIp(c),
    });
    identifyRequest(user.id, response.session_id);
    await c.var.services.emailFlows.afterSignup(tenant, user, inBackground(c));
    c.header("Cache-Control", "no-store");
    return c.json({ user: await accounts.view(user), ...deliverTokens(c, response, body.cookie === true) }, 201);
  })
  .openapi(login, async (c) => {
    const { accounts, sessions, clientIp } = c.var.services;
    const tenant = c.var.tenant;
    const body = c.req.valid("json");
    const user = await accounts.authenticate(tenant, body, ipBucket(clientIp(c)));
    const next = await c.var.services.mfaLogins.afterFirstStep(tenant, user, PASSWORD_LOGIN);
    c.header("Cache-Control", "no-store");
    if (next.kind === "challenge") {
      const challenge = { mfa_token: next.mfaToken, factors: next.factors, expires_in: next.expiresIn };
      return c.json({ mfa_required: true as const, ...challenge }, 200);
    }
    const { response } = await sessions.start(tenant, user, PASSWORD_LOGIN, {
      userAgent: c.req.header("user-agent") ?? null,
      ip: clientIp(c),
    });
    identifyRequest(user.id, response.session_id);
    const tokens = deliverTokens(c, response, body.cookie === true);
    return c.json(next.enrollmentRequired ? { ...tokens, mfa_enrollment_required: true as const } : tokens, 200);
  });
