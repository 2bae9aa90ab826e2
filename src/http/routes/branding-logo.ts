import { createRoute, z } from "@hono/zod-openapi";
import { errors } from "../../core/errors.js";
import { notModified } from "../etag.js";
import { createRouter, problems } from "../openapi.js";
import { TenantParamSchema } from "../schemas.js";
import { TAG } from "./hosted-pages-parts.js";

const image = { schema: z.string().openapi({ format: "binary" }) };

const getLogo = createRoute({
  method: "get",
  path: "/t/{tenant}/branding/logo",
  tags: [TAG],
  summary: "The tenant's logo, as the service fetched it when the branding was set",
  description:
    "PNG, JPEG, GIF or WebP. The hosted pages and mails name it with its version in `v`: " +
    "that URL is cached for a year (immutable); without it, revalidated with the ETag.",
  request: {
    params: TenantParamSchema,
    query: z.object({ v: z.string().max(64).optional().openapi({ description: "The logo's version" }) }),
  },
  responses: {
    200: {
      description: "The image; ETag",
      content: { "image/png": image, "image/jpeg": image, "image/gif": image, "image/webp": image },
    },
    304: { description: "Not modified (If-None-Match)" },
    ...problems(404),
  },
});

export const brandingLogoRoutes = createRouter().openapi(getLogo, async (c) => {
  const logo = await c.get("services").brandingLogos.logo(c.get("tenant"));
  if (!logo) throw errors.notFound("This tenant has no logo.");
  const etag = `"${logo.version}"`;
  // A versioned URL always means these bytes; any other may change with the branding.
  const current = c.req.valid("query").v === logo.version;
  c.header("Cache-Control", current ? "public, max-age=31536000, immutable" : "no-cache");
  c.header("ETag", etag);
  if (notModified(c, etag)) return c.body(null, 304);
  c.header("Content-Type", logo.type);
  // The type is the one the bytes' signature showed; never sniffed into anything else.
  c.header("X-Content-Type-Options", "nosniff");
  return c.body(logo.bytes as Uint8Array<ArrayBuffer>, 200);
});
