import { createRoute, z } from "@hono/zod-openapi";
import { ADMIN_SCOPE } from "../../core/api-keys/key-scopes.js";
import { acceptBody } from "../middleware/body.js";
import { comparesEntityTags, ifMatchAnyHolds } from "../middleware/preconditions.js";
import { requireServiceScope } from "../middleware/service-auth.js";
import { createRouter, ETAG, problems } from "../openapi.js";
import { TenantParamSchema } from "../schemas.js";
import {
  connectionBasis,
  connectionName,
  connectionTag,
  connectionView,
  StoredConnectionSchema,
} from "./admin-saml-connections.js";

const ConnectionParams = TenantParamSchema.extend({
  connection: z.string().openapi({ param: { name: "connection", in: "path" }, example: "okta" }),
});

const ConnectionSchema = z
  .object({
    idp_metadata_xml: z
      .string()
      .min(1)
      .max(256 * 1024, "must be at most 256 KiB"),
    allow_idp_initiated: z.boolean().optional(),
    trust_email: z.boolean().optional().openapi({
      description: "Whether the IdP's emails count as verified (default false).",
    }),
    attribute_mapping: z
      .object({ email: z.string().min(1).max(512).optional(), name: z.string().min(1).max(512).optional() })
      .strict()
      .optional(),
    enabled: z.boolean().optional(),
  })
  .strict()
  .openapi("SamlConnectionInput");

const putConnection = createRoute({
  method: "put",
  path: "/t/{tenant}/v1/admin/saml-connections/{connection}",
  tags: ["Administration"],
  summary: "Configure a SAML 2.0 identity provider from its metadata",
  description:
    "The connection gets its own SP key pair on creation (kept on later updates); its certificate is public.",
  security: [{ bearer: [] }],
  middleware: [comparesEntityTags, requireServiceScope(ADMIN_SCOPE), acceptBody("json")] as const,
  request: {
    params: ConnectionParams,
    body: { required: true, content: { "application/json": { schema: ConnectionSchema } } },
  },
  responses: {
    200: { description: "Stored", headers: ETAG, content: { "application/json": { schema: StoredConnectionSchema } } },
    ...problems(400, 401, 403, 404, 413, 415),
  },
});

const metadata = createRoute({
  method: "get",
  path: "/t/{tenant}/v1/saml/{connection}/metadata",
  tags: ["SAML"],
  summary: "The connection's service-provider metadata (entity id, ACS with POST binding, certificate)",
  request: { params: ConnectionParams },
  responses: {
    200: { description: "SAML metadata", content: { "application/samlmetadata+xml": { schema: z.string() } } },
    ...problems(404),
  },
});

const login = createRoute({
  method: "get",
  path: "/t/{tenant}/v1/saml/{connection}/login",
  tags: ["SAML"],
  summary: "Start an SP-initiated login (AuthnRequest, HTTP-Redirect binding)",
  request: {
    params: ConnectionParams,
    query: z.object({
      redirect_uri: z.string().max(2048),
      state: z.string().max(512).optional(),
      code_challenge: z.string().max(128).optional(),
      code_challenge_method: z.string().max(16).optional(),
    }),
  },
  responses: {
    302: { description: "To the IdP", headers: z.object({ Location: z.string() }) },
    ...problems(400, 404),
  },
});

const acs = createRoute({
  method: "post",
  path: "/t/{tenant}/v1/saml/{connection}/acs",
  tags: ["SAML"],
  summary: "Assertion consumer service (HTTP-POST binding)",
  middleware: [acceptBody("form")] as const,
  request: {
    params: ConnectionParams,
    body: {
      required: true,
      content: {
        "application/x-www-form-urlencoded": {
          schema: z.object({ SAMLResponse: z.string(), RelayState: z.string().max(2048).optional() }),
        },
      },
    },
  },
  responses: {
    302: {
      description: "Back to the client app with a one-time code or an error",
      headers: z.object({ Location: z.string() }),
    },
    ...problems(400, 404, 413, 415),
  },
});

export const samlRoutes = createRouter()
  .openapi(putConnection, async (c) => {
    const name = connectionName(c.req.valid("param").connection);
    const body = c.req.valid("json");
    const { saml, tokens } = c.get("services");
    await ifMatchAnyHolds(c, () => saml.find(c.get("tenant"), name));
    const basis = await connectionBasis(c, name);
    const input = {
      idpMetadataXml: body.idp_metadata_xml,
      allowIdpInitiated: body.allow_idp_initiated ?? false,
      trustEmail: body.trust_email ?? false,
      attributeMapping: Object.fromEntries(Object.entries(body.attribute_mapping ?? {}).filter(([, v]) => v)) as Record<
        string,
        string
      >,
      enabled: body.enabled ?? true,
    };
    const stored = await saml.configure(c.get("tenant"), name, input, basis);
    c.header("ETag", await connectionTag(c, stored));
    return c.json(connectionView(stored, tokens.issuer(c.get("tenant"))), 200);
  })
  .openapi(metadata, async (c) => {
    const name = c.req.valid("param").connection;
    const xml = await c
      .get("services")
      .saml.metadata(c.get("tenant"), name, c.get("services").tokens.issuer(c.get("tenant")));
    return c.body(xml, 200, { "Content-Type": "application/samlmetadata+xml; charset=utf-8" });
  })
  .openapi(acs, async (c) => {
    const name = c.req.valid("param").connection;
    const form = c.req.valid("form");
    const { location } = await c
      .get("services")
      .saml.acs(c.get("tenant"), name, c.get("services").tokens.issuer(c.get("tenant")), {
        samlResponse: form.SAMLResponse,
        relayState: form.RelayState ?? null,
      });
    c.header("Cache-Control", "no-store");
    return c.redirect(location, 302);
  })
  .openapi(login, async (c) => {
    const name = c.req.valid("param").connection;
    const query = c.req.valid("query");
    const { location } = await c
      .get("services")
      .saml.login(c.get("tenant"), name, c.get("services").tokens.issuer(c.get("tenant")), {
        redirectUri: query.redirect_uri,
        state: query.state ?? null,
        codeChallenge: query.code_challenge ?? null,
        codeChallengeMethod: query.code_challenge_method ?? null,
      });
    c.header("Cache-Control", "no-store");
    return c.redirect(location, 302);
  });
