import { createRoute, z } from "@hono/zod-openapi";
import { errors } from "../../core/errors.js";
import { requireAccessToken } from "../middleware/bearer.js";
import { createRouter, problems } from "../openapi.js";
import { TenantParamSchema } from "../schemas.js";

const ConsentSchema = z
  .object({
    client_id: z.string(),
    client_name: z.string(),
    scopes: z.array(z.string()),
    granted_at: z.string().datetime().openapi({ description: "When scopes were last granted to the client" }),
  })
  .openapi("Consent");

const list = createRoute({
  method: "get",
  path: "/t/{tenant}/v1/consents",
  tags: ["OpenID Provider"],
  summary: "The clients the caller consented to, and what each may have",
  security: [{ bearer: [] }],
  middleware: [requireAccessToken()] as const,
  request: { params: TenantParamSchema },
  responses: {
    200: {
      description: "Consents, most recently granted first",
      content: { "application/json": { schema: z.object({ consents: z.array(ConsentSchema) }) } },
    },
    ...problems(401, 403, 404),
  },
});

const revoke = createRoute({
  method: "delete",
  path: "/t/{tenant}/v1/consents/{client_id}",
  tags: ["OpenID Provider"],
  summary: "Withdraw the caller's consent to a client",
  description:
    "The client's next authorization request asks for consent again. Every session of the caller at that " +
    "client is revoked too: its refresh tokens stop working and its access tokens are refused at once.",
  security: [{ bearer: [] }],
  middleware: [requireAccessToken()] as const,
  request: {
    params: TenantParamSchema.extend({
      client_id: z.string().openapi({ param: { name: "client_id", in: "path" } }),
    }),
  },
  responses: { 204: { description: "Withdrawn" }, ...problems(401, 403, 404) },
});

export const consentRoutes = createRouter()
  .openapi(list, async (c) => {
    const consents = await c.get("services").consents.list(c.get("tenant"), c.get("auth").sub);
    return c.json(
      {
        consents: consents.map((consent) => ({
          client_id: consent.clientId,
          client_name: consent.clientName,
          scopes: consent.scopes,
          granted_at: consent.grantedAt.toISOString(),
        })),
      },
      200,
    );
  })
  .openapi(revoke, async (c) => {
    const { client_id: clientId } = c.req.valid("param");
    if (!(await c.get("services").consents.revoke(c.get("tenant"), c.get("auth").sub, clientId))) {
      throw errors.notFound("No consent to this client.");
    }
    return c.body(null, 204);
  });
