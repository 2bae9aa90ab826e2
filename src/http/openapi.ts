import { OpenAPIHono, z } from "@hono/zod-openapi";
import { errors, type FieldError } from "../core/errors.js";
import type { AppEnv } from "./context.js";
import { unsafeTextErrors } from "./unsafe-text.js";

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string().openapi({ example: "validation_failed" }),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .openapi("Problem");

const problemContent = { "application/problem+json": { schema: ProblemSchema } };

/** A response body that is a page for a person (hosted pages, /docs). */
export const HTML_PAGE = { "text/html": { schema: z.string() } };

/** A browser endpoint's parameters in its OpenAPI entry: a GET's query, or the same fields as a POST's form. */
export function queryOrForm(method: "get" | "post", params: z.ZodObject, fields: z.ZodObject) {
  return method === "get"
    ? { params, query: fields }
    : { params, body: { content: { "application/x-www-form-urlencoded": { schema: fields } } } };
}

/** The problem+json responses a route can give, for its OpenAPI entry. */
export function problems(...statuses: number[]) {
  const descriptions: Record<number, string> = {
    400: "Invalid request (validation_failed, malformed_body)",
    401: "Missing or invalid credentials",
    403: "Authenticated, but not allowed (forbidden)",
    404: "Not found (not_found, tenant_not_found)",
    409: "Conflict",
    413: "Body too large (payload_too_large)",
    415: "Unsupported Content-Type",
    423: "Account locked after repeated failed logins (account_locked); Retry-After",
    429: "Rate limited (rate_limited); Retry-After and RateLimit-* headers",
    503: "Unavailable (not_ready, service_unavailable)",
  };
  return Object.fromEntries(
    statuses.map((status) => [status, { description: descriptions[status] ?? "Error", content: problemContent }]),
  );
}

/** Zod's issue, in the words of API.md's `errors: [{ path, message }]`. */
function toFieldError(issue: z.core.$ZodIssue): FieldError {
  const path = issue.path.map(String).join(".");
  if (issue.code === "invalid_type" && / received undefined$/.test(issue.message)) {
    return { path: path || "(body)", message: "is required" };
  }
  return { path: path || "(body)", message: issue.message };
}

/**
 * A router whose schema failures become `validation_failed` problems, thrown
 * so the one error handler renders them. Every validated part of every route
 * (path, query, JSON and form bodies) also goes through the one rule on
 * characters storage cannot hold: the parsed value when the schema passed,
 * the raw one when it did not (so both kinds of error are reported at once).
 */
export function createRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      // zod-validator hands the raw input as `data` when the schema failed.
      const unsafe = unsafeTextErrors((result as { data?: unknown }).data);
      if (result.success && unsafe.length === 0) return;
      const named = new Set(unsafe.map((e) => e.path));
      const schema = result.success ? [] : result.error.issues.map(toFieldError).filter((e) => !named.has(e.path));
      throw errors.validation([...unsafe, ...schema]);
    },
  });
}
