import { createRoute, z } from "@hono/zod-openapi";
import { ipBucket } from "../../core/net/ip.js";
import { inBackground } from "../background.js";
import { requireAccessToken, tokenUser } from "../middleware/bearer.js";
import { acceptBody } from "../middleware/body.js";
import { requireStepUp } from "../middleware/step-up.js";
import { createRouter, problems } from "../openapi.js";
import { AcceptedSchema, email, mailedToken, password, TenantParamSchema } from "../schemas.js";

const forgot = createRoute({
  method: "post",
  path: "/t/{tenant}/v1/password/forgot",
  tags: ["Email and password"],
  summary: "Mail a password-reset link",
  description:
    "202 whether or not an account has the address (same body, similar time); an account that has it gets a " +
    "link valid for 30 minutes.",
  middleware: [acceptBody("json")] as const,
  request: {
    params: TenantParamSchema,
    body: { required: true, content: { "application/json": { schema: z.object({ email }).openapi("Forgot") } } },
  },
  responses: {
    202: { description: "Accepted", content: { "application/json": { schema: AcceptedSchema } } },
    ...problems(400, 404, 413, 415, 429, 503),
  },
});

const reset = createRoute({
  method: "post",
  path: "/t/{tenant}/v1/password/reset",
  tags: ["Email and password"],
  summary: "Set a new password with the token of a reset mail",
  description: "Every session of the user ends at once; failed-login locks of the account are lifted.",
  middleware: [acceptBody("json")] as const,
  request: {
    params: TenantParamSchema,
    body: {
      required: true,
      content: { "application/json": { schema: z.object({ token: mailedToken, password }).openapi("ResetPassword") } },
    },
  },
  responses: {
    204: { description: "The password is set" },
    ...problems(400, 403, 404, 413, 415),
  },
});

const change = createRoute({
  method: "post",
  path: "/t/{tenant}/v1/password/change",
  tags: ["Email and password"],
  summary: "Change the signed-in user's password",
  description: "Needs the current password; the user's other sessions end at once.",
  security: [{ bearer: [] }],
  middleware: [requireAccessToken(), requireStepUp(), acceptBody("json")] as const,
  request: {
    params: TenantParamSchema,
    body: {
      required: true,
      content: {
        "application/json": {
          schema: z.object({ current_password: password, new_password: password }).openapi("ChangePassword"),
        },
      },
    },
  },
  responses: {
    204: { description: "Changed" },
    ...problems(400, 401, 403, 404, 413, 415, 423, 429, 503),
  },
});

export const passwordRoutes = createRouter()
  .openapi(forgot, async (c) => {
    await c.get("services").passwordFlows.forgot(c.get("tenant"), c.req.valid("json").email, inBackground(c));
    return c.json({ status: "accepted" } as const, 202);
  })
  .openapi(reset, async (c) => {
    const { token, password } = c.req.valid("json");
    await c.get("services").passwordFlows.reset(c.get("tenant"), token, password, inBackground(c));
    return c.body(null, 204);
  })
  .openapi(change, async (c) => {
    const { passwordFlows, clientIp } = c.get("services");
    const body = c.req.valid("json");
    await passwordFlows.change(
      c.get("tenant"),
      await tokenUser(c),
      { currentPassword: body.current_password, newPassword: body.new_password, sessionId: c.get("auth").sid },
      ipBucket(clientIp(c)),
      inBackground(c),
    );
    return c.body(null, 204);
  });
