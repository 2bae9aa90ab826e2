import { createRoute, z } from "@hono/zod-openapi";
import { ipBucket } from "../../core/net/ip.js";
import { inBackground } from "../background.js";
import { finishFirstStep, LoginResponseSchema, MfaChallengeSchema } from "../login-answer.js";
import { acceptBody } from "../middleware/body.js";
import { ACCOUNT_DISABLED, createRouter, problems, REFRESH_COOKIE } from "../openapi.js";
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
  description:
    "When the tenant's MFA policy binds the new user (`required`), the answer has the `user` and, instead of " +
    "tokens, the enrollment challenge (`mfa_required`, `enrollment_required`, `factors: []`): enrolling a factor " +
    "with its `mfa_token` finishes the login.",
  middleware: [acceptBody("json")] as const,
  request: {
    params: TenantParamSchema,
    body: { required: true, content: { "application/json": { schema: SignupSchema } } },
  },
  responses: {
    201: {
      description: "Created, and logged in or (under a required MFA policy) asked to enroll a second factor",
      content: {
        "application/json": {
          schema: z
            .union([TokenResponseSchema.extend({ user: UserSchema }), MfaChallengeSchema.extend({ user: UserSchema })])
            .openapi("SignupResponse"),
        },
      },
      headers: REFRESH_COOKIE,
    },
    ...problems(400, 404, 409, 413, 415),
  },
});

const login = createRoute({
  method: "post",
  path: "/t/{tenant}/v1/login",
  tags: ["Accounts"],
  summary: "Log in with email and password",
  description:
    "A user with a second factor gets no tokens here: the answer is an `mfa_required` challenge to finish at " +
    "`POST /v1/mfa/verify` within 5 minutes. A user the tenant's MFA policy binds who has no factor yet gets " +
    "the enrollment challenge (`enrollment_required: true`, `factors: []`): enrolling a factor with its " +
    "`mfa_token` finishes the login.",
  middleware: [acceptBody("json")] as const,
  request: {
    params: TenantParamSchema,
    body: { required: true, content: { "application/json": { schema: LoginSchema } } },
  },
  responses: {
    200: {
      description: "Logged in, or a second factor is needed",
      content: { "application/json": { schema: LoginResponseSchema } },
      headers: REFRESH_COOKIE,
    },
    ...problems(400, 401, 404, 413, 415, 423, 429, 503),
    403: ACCOUNT_DISABLED,
  },
});

const PASSWORD_LOGIN = { authMethod: "password", amr: ["pwd"] };

export const accountRoutes = createRouter()
  .openapi(signup, async (c) => {
    const { accounts, emailFlows } = c.get("services");
    const body = c.req.valid("json");
    const user = await accounts.signup(c.get("tenant"), body);
    const answer = await finishFirstStep(c, user, PASSWORD_LOGIN, body.cookie === true);
    await emailFlows.afterSignup(c.get("tenant"), user, inBackground(c));
    return c.json({ user: await accounts.view(user), ...answer }, 201);
  })
  .openapi(login, async (c) => {
    const { accounts, clientIp } = c.get("services");
    const body = c.req.valid("json");
    const user = await accounts.authenticate(c.get("tenant"), body, ipBucket(clientIp(c)));
    return c.json(await finishFirstStep(c, user, PASSWORD_LOGIN, body.cookie === true), 200);
  });
