import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { errors } from "../../core/errors.js";
import { scopeList } from "../../core/sessions/user-claims.js";
import type { AppEnv } from "../context.js";
import { requireAccessToken } from "../middleware/bearer.js";
import { createRouter, problems } from "../openapi.js";
import { TenantParamSchema } from "../schemas.js";

const UserInfoSchema = z
  .object({
    sub: z.string(),
    email: z.string().optional().openapi({ description: "With scope email" }),
    email_verified: z.boolean().optional().openapi({ description: "With scope email" }),
    name: z.string().optional().openapi({ description: "With scope profile, when the user has a name" }),
  })
  .openapi("UserInfo");

const route = (method: "get" | "post") =>
  createRoute({
    method,
    path: "/t/{tenant}/v1/userinfo",
    tags: ["OpenID Provider"],
    summary: "UserInfo (OpenID Connect Core §5.3): claims about the user of the access token, by its scope",
    description:
      "`sub` always; `email` and `email_verified` with scope `email`; `name` with scope `profile`. The token needs " +
      "scope `openid` (otherwise 403 `insufficient_scope`); a bad token is 401 with an RFC 6750 challenge. " +
      "Every client's token reaches it (the account routes take only the tenant's own apps'). By POST, the token " +
      "may come as `access_token` in a form body instead of the header (RFC 6750 §2.2), never both.",
    security: [{ bearer: [] }],
    middleware: [requireAccessToken({ anyClient: true })] as const,
    request: { params: TenantParamSchema },
    responses: {
      200: { description: "The user's claims", content: { "application/json": { schema: UserInfoSchema } } },
      ...problems(401, 403, 404),
    },
  });

async function userInfo(c: Context<AppEnv>) {
  const { accounts, tokens } = c.get("services");
  const { sub, scope } = c.get("auth");
  const realm = tokens.issuer(c.get("tenant"));
  const scopes = new Set(scopeList(scope));
  if (!scopes.has("openid")) {
    // RFC 6750 §3.1.
    throw errors.insufficientScope(realm, "UserInfo needs an access token with scope openid.");
  }
  const user = await accounts.findUser(c.get("tenant"), sub);
  if (!user || user.disabledAt) throw errors.unauthorized(realm, "The token's user is no longer active.", true);
  const view = await accounts.view(user);
  c.header("Cache-Control", "no-store");
  return c.json(
    {
      sub: user.id,
      ...(scopes.has("email") ? { email: view.email, email_verified: view.email_verified } : {}),
      ...(scopes.has("profile") && view.name !== null ? { name: view.name } : {}),
    },
    200,
  );
}

export const userInfoRoutes = createRouter()
  .openapi(route("get"), (c) => userInfo(c))
  .openapi(route("post"), (c) => userInfo(c));
