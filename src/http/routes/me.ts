import { createRoute } from "@hono/zod-openapi";
import { requireAccessToken, tokenUser } from "../middleware/bearer.js";
import { createRouter, problems } from "../openapi.js";
import { TenantParamSchema, UserSchema } from "../schemas.js";

const me = createRoute({
  method: "get",
  path: "/t/{tenant}/v1/me",
  tags: ["Accounts"],
  summary: "The user the access token was issued to",
  security: [{ bearer: [] }],
  middleware: [requireAccessToken()] as const,
  request: { params: TenantParamSchema },
  responses: {
    200: { description: "The user", content: { "application/json": { schema: UserSchema } } },
    ...problems(401, 403, 404),
  },
});

export const meRoutes = createRouter().openapi(me, async (c) => {
  return c.json(await c.get("services").accounts.view(await tokenUser(c)), 200);
});
