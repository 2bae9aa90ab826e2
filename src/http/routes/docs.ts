import { type OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../context.js";
import { etagOf, notModified } from "../etag.js";
import { finishDocument } from "../openapi-document.js";

/** Serves the OpenAPI 3.1 document built from the routes' own schemas (rendered at /docs: docs-ui.ts). */
export function mountDocs(app: OpenAPIHono<AppEnv>, publicUrl: string): void {
  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: "An access token (JWT), an API key (sk_...) or the bootstrap admin key, as each route says.",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "client_secret_basic", {
    type: "http",
    scheme: "basic",
    description: "An OAuth client's client_id and client_secret, form-urlencoded (RFC 6749 §2.3.1).",
  });
  app.openAPIRegistry.registerPath({
    method: "get",
    path: "/openapi.json",
    tags: ["Operations"],
    summary: "This document (OpenAPI 3.1)",
    responses: {
      200: {
        description: "The document; ETag, and 304 to If-None-Match",
        content: { "application/json": { schema: z.object({}) } },
      },
      304: { description: "Not modified (If-None-Match)" },
    },
  });
  // Generating the document takes ~10 ms and its routes never change after
  // createApp: built once per app, on the first request, then served as is.
  let document: Promise<{ body: string; etag: string }> | undefined;
  app.get("/openapi.json", async (c) => {
    document ??= (async () => {
      const body = JSON.stringify(
        finishDocument(
          app.getOpenAPI31Document({
            openapi: "3.1.0",
            info: {
              title: "Authentication authority API",
              version: "1.0.0",
              description:
                "Identity, tokens, sessions and credentials for other services. Errors are RFC 9457 problem+json.",
            },
            servers: [{ url: publicUrl }],
          }),
        ),
      );
      return { body, etag: await etagOf(c.get("services").sealer.primitives, body) };
    })();
    const { body, etag } = await document;
    c.header("ETag", etag);
    if (notModified(c, etag)) return c.body(null, 304);
    return c.body(body, 200, { "Content-Type": "application/json" });
  });
}
