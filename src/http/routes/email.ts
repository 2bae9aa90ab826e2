import { createRoute, z } from "@hono/zod-openapi";
import { ipBucket } from "../../core/net/ip.js";
import { inBackground } from "../background.js";
import { requireAccessToken, tokenUser } from "../middleware/bearer.js";
import { acceptBody } from "../middleware/body.js";
import { requireStepUp } from "../middleware/step-up.js";
import { createRouter, problems } from "../openapi.js";
import { AcceptedSchema, email, mailedToken, password, TenantParamSchema, UserSchema } from "../schemas.js";

const requestVerification = createRoute({
  method: "post",
  path: "/t/{tenant}/v1/email/verification",
  tags: ["Email and password"],
  summary: "Send another verification mail to the user's address",
  description: "Nothing is sent when the address is verified already; the answer is the same.",
  security: [{ bearer: [] }],
  middleware: [requireAccessToken()] as const,
  request: { params: TenantParamSchema },
  responses: {
    202: { description: "A mail is on its way", content: { "application/json": { schema: AcceptedSchema } } },
    ...problems(401, 403, 404, 429, 503),
  },
});

const verify = createRoute({
  method: "post",
  path: "/t/{tenant}/v1/email/verify",
  tags: ["Email and password"],
  summary: "Verify an address with the token of a mailed link",
  description:
    "Takes the token of a verification mail (the address becomes verified) or of an email-change mail (the " +
    "account moves to the new address, 409 `email_taken` if another account has it by now).",
  middleware: [acceptBody("json")] as const,
  request: {
    params: TenantParamSchema,
    body: {
      required: true,
      content: { "application/json": { schema: z.object({ token: mailedToken }).openapi("VerifyEmail") } },
    },
  },
  responses: {
    200: { description: "The user, address verified", content: { "application/json": { schema: UserSchema } } },
    ...problems(400, 404, 409, 413, 415),
  },
});

const ChangeEmailSchema = z.object({ new_email: email, password }).openapi("ChangeEmail");

const changeEmail = createRoute({
  method: "post",
  path: "/t/{tenant}/v1/email/change",
  tags: ["Email and password"],
  summary: "Move the account to a new address, once that address is verified",
  description:
    "The new address gets a link (to `/v1/email/verify`); the account keeps its address until then. The old " +
    "address is told.",
  security: [{ bearer: [] }],
  middleware: [requireAccessToken(), requireStepUp(), acceptBody("json")] as const,
  request: {
    params: TenantParamSchema,
    body: { required: true, content: { "application/json": { schema: ChangeEmailSchema } } },
  },
  responses: {
    202: { description: "Mails are on their way", content: { "application/json": { schema: AcceptedSchema } } },
    ...problems(400, 401, 403, 404, 413, 415, 423, 429, 503),
  },
});

const ACCEPTED = { status: "accepted" } as const;

export const emailRoutes = createRouter()
  .openapi(requestVerification, async (c) => {
    await c.get("services").emailFlows.requestVerification(c.get("tenant"), await tokenUser(c), inBackground(c));
    return c.json(ACCEPTED, 202);
  })
  .openapi(verify, async (c) => {
    const { emailFlows, accounts } = c.get("services");
    const user = await emailFlows.verify(c.get("tenant"), c.req.valid("json").token);
    c.header("Cache-Control", "no-store");
    return c.json(await accounts.view(user), 200);
  })
  .openapi(changeEmail, async (c) => {
    const { emailFlows, clientIp } = c.get("services");
    const body = c.req.valid("json");
    await emailFlows.requestChange(
      c.get("tenant"),
      await tokenUser(c),
      { newEmail: body.new_email, password: body.password },
      ipBucket(clientIp(c)),
      inBackground(c),
    );
    return c.json(ACCEPTED, 202);
  });
