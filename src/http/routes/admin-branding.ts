import { createRoute, z } from "@hono/zod-openapi";
import { ADMIN_SCOPE } from "../../core/api-keys/key-scopes.js";
import type { Tenant } from "../../core/ports/database.js";
import { ACCENT_COLOR, brandingOf, LANGUAGES } from "../../core/tenant-settings.js";
import { tagged } from "../etag.js";
import { acceptBody } from "../middleware/body.js";
import { comparesEntityTags, tenantBasis } from "../middleware/preconditions.js";
import { requireServiceScope } from "../middleware/service-auth.js";
import { createRouter, ETAG, NOT_MODIFIED, problems } from "../openapi.js";
import { singleLine, TenantParamSchema } from "../schemas.js";

/** How the tenant's mails (and hosted pages) look; the tenant's `name` is shown with it. */
const brandingFields = {
  logo_url: singleLine()
    .max(2048, "must be at most 2048 characters")
    .refine((url) => /^https?:\/\//i.test(url) && URL.canParse(url), "must be an https URL")
    // Stored and shown to every admin; Node's fetch refuses credentials in a URL, workerd drops them.
    .refine((url) => !URL.canParse(url) || !/^[^/]*\/\/[^/?#]*@/.test(url), "must not contain a user name or password")
    .nullable()
    .openapi({
      description:
        "Where the service fetches the logo once, when the branding is set (https; a PNG, JPEG, GIF or WebP " +
        "of at most 256 KiB, no redirects). Pages and mails show that copy, served at `/t/{tenant}/branding/logo`; " +
        "null for none",
    }),
  accent_color: z
    .string()
    .regex(ACCENT_COLOR, "must be a colour as #rrggbb")
    .nullable()
    .openapi({ example: "#3056d3", description: "Buttons and links; null for the default" }),
  language: z.enum(LANGUAGES).openapi({ description: "Language of mails and pages" }),
};

export const BrandingSchema = z.object(brandingFields).openapi("Branding");

// Strict: a misspelt field is 400 naming it, never dropped without a word.
const BrandingInputSchema = z.object(brandingFields).strict().openapi("BrandingInput");

const view = (tenant: Tenant): z.infer<typeof BrandingSchema> => {
  const branding = brandingOf(tenant);
  return { logo_url: branding.logoUrl, accent_color: branding.accentColor, language: branding.language };
};

/** The stored logo's digest: part of the ETag, so a new image fetched from the same URL changes it. */
const logoVersion = (tenant: Tenant) => brandingOf(tenant).logoVersion ?? "";

const getBranding = createRoute({
  method: "get",
  path: "/t/{tenant}/v1/admin/branding",
  tags: ["Administration"],
  summary: "The tenant's branding (logo, accent colour, language)",
  security: [{ bearer: [] }],
  middleware: [requireServiceScope(ADMIN_SCOPE)] as const,
  request: { params: TenantParamSchema },
  responses: {
    200: {
      description: "The branding in effect",
      headers: ETAG,
      content: { "application/json": { schema: BrandingSchema } },
    },
    ...NOT_MODIFIED,
    ...problems(401, 403, 404),
  },
});

const putBranding = createRoute({
  method: "put",
  path: "/t/{tenant}/v1/admin/branding",
  tags: ["Administration"],
  summary: "Set the tenant's branding",
  description:
    "Replaces the branding; every field is required (null clears the logo or colour). A logo_url is fetched " +
    "now: 400 validation_failed naming logo_url when it cannot be fetched or is not an accepted image.",
  security: [{ bearer: [] }],
  middleware: [comparesEntityTags, requireServiceScope(ADMIN_SCOPE), acceptBody("json")] as const,
  request: {
    params: TenantParamSchema,
    body: { required: true, content: { "application/json": { schema: BrandingInputSchema } } },
  },
  responses: {
    200: {
      description: "The stored branding",
      headers: ETAG,
      content: { "application/json": { schema: BrandingSchema } },
    },
    ...problems(400, 401, 403, 404, 413, 415),
  },
});

export const adminBrandingRoutes = createRouter()
  .openapi(getBranding, async (c) => {
    const branding = view(c.get("tenant"));
    if (await tagged(c, branding, logoVersion(c.get("tenant")))) return c.body(null, 304);
    return c.json(branding, 200);
  })
  .openapi(putBranding, async (c) => {
    const basis = await tenantBasis(c, view, logoVersion);
    const tenant = await c.get("services").brandingLogos.set(c.get("tenant"), c.req.valid("json"), basis);
    await tagged(c, view(tenant), logoVersion(tenant));
    return c.json(view(tenant), 200);
  });
