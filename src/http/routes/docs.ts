import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../context.js";

/** Serves the OpenAPI 3.1 document built from the routes' own schemas (rendered at /docs: docs-ui.ts). */
export function mountDocs(app: OpenAPIHono<AppEnv>, publicUrl: string): void {
  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: "An access token (JWT), an API key (sk_...) or the bootstrap admin key, as each route says.",
  });
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "Authentication authority API",
      version: "1.0.0",
      description: "Identity, tokens, sessions and credentials for other services. Errors are RFC 9457 problem+json.",
    },
    servers: [{ url: publicUrl }],
  });
}
