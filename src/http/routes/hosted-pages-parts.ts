import { z } from "@hono/zod-openapi";
import { HTML_PAGE, pageErrors } from "../openapi.js";
import { TenantParamSchema } from "../schemas.js";

/** What the descriptions of the hosted pages (hosted-pages-described.ts) are made of. */

export const TAG = "Hosted pages";

export const csrf = z.string().openapi({ description: "The page's CSRF token (every hosted form carries it)" });
export const request = z
  .string()
  .optional()
  .openapi({ description: "The pending authorization request the page continues" });
export const challenge = z
  .string()
  .openapi({ description: "The reference of the second step's challenge, held server-side" });
export const credential = z
  .string()
  .openapi({ description: "The browser's WebAuthn answer, as JSON (put there by the page's script)" });
export const challengeId = z.string().openapi({ description: "The challenge id of the passkey options" });
export const factorId = z.string().openapi({ format: "uuid", description: "The factor's id" });

export const named = (name: string) =>
  TenantParamSchema.extend({ [name]: z.string().openapi({ param: { name, in: "path" } }) });

export const page = (description: string) => ({ description, content: HTML_PAGE });
export const redirect = (description: string) => ({ description });
export const json = (description: string, schema: z.ZodType) => ({
  description,
  content: { "application/json": { schema } },
});
/** What every hosted form can be refused with before its route looks at it (forms.ts: readForm). */
export const FORM_REFUSALS = pageErrors(403, 413, 415);

export interface Described {
  method: "get" | "post";
  path: string;
  summary: string;
  description?: string;
  params?: z.ZodObject;
  query?: z.ZodObject;
  form?: z.ZodObject;
  responses: Record<number, { description: string; content?: object }>;
}
