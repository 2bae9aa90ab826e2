import { OpenAPIHono, z } from "@hono/zod-openapi";
import { errors, type FieldError } from "../core/errors.js";
import type { AppEnv } from "./context.js";
import { unsafeTextErrors } from "./unsafe-text.js";

const ProblemSchema = z
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

/** RFC 6749 §5.2's error body, at the OAuth endpoints (token, introspection, revocation). */
const OAuthErrorSchema = z
  .object({ error: z.string().openapi({ example: "invalid_grant" }), error_description: z.string() })
  .openapi("OAuthError");

/** A response whose body is RFC 6749 §5.2 JSON. */
export function oauthError(description: string) {
  return { description, content: { "application/json": { schema: OAuthErrorSchema } } };
}

/** RFC 6749 §5.2: a 401 `invalid_client` challenges for Basic only when the client tried Basic. */
export const BASIC_CHALLENGE = {
  "WWW-Authenticate": {
    description:
      'When the client tried HTTP Basic: `Basic realm="{issuer}"`; absent when its credentials came in the form',
    schema: { type: "string" as const },
  },
};

/** The headers of a route's answer in cookie mode (`"cookie": true`, or a refresh token read from the cookie). */
export const REFRESH_COOKIE = {
  "Set-Cookie": {
    description:
      "Cookie mode: sets (or, with Max-Age=0, clears) the `__Host-refresh-{tenant}` cookie (HttpOnly; Secure; " +
      "SameSite=Strict; Path=/)",
    schema: { type: "string" as const },
  },
};

/** A 201's `Location`: the created resource's GET route, path-absolute (RFC 9110 §10.2.2 allows a relative reference). */
export const CREATED_LOCATION = {
  Location: {
    description: "The created resource's URL, path-absolute (RFC 9110 §10.2.2)",
    required: true,
    schema: { type: "string" as const },
  },
};

/** An admin resource's ETag, on its GET and its writes' answers (etag.ts's tagged); the document adds If-Match. */
export const ETAG = {
  ETag: {
    description:
      "A strong entity tag of the representation (RFC 9110 §8.8.3); it also changes when a secret the resource's " +
      "writes carry changes. Send it as If-Match to change the resource only if nobody else did meanwhile",
    required: true,
    schema: { type: "string" as const },
  },
};

/** A GET of an admin resource with an ETag: 304 to an If-None-Match naming it (RFC 9110 §13.1.2). */
export const NOT_MODIFIED = { 304: { description: "Not modified (If-None-Match names the current ETag)" } };

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
  return Object.fromEntries(statuses.map((status) => [status, problem(descriptions[status] ?? "Error")]));
}

/** One problem+json response, described in the route's own words. */
export function problem(description: string) {
  return { description, content: problemContent };
}

/** A disabled user's login (API.md: 403 account_disabled), also when an admin disables it while the login runs. */
export const ACCOUNT_DISABLED = problem("The account is disabled (account_disabled)");

/** A problem's description, said of the page that answers it instead. */
export const asPage = (description: string) =>
  description.startsWith("A page")
    ? description
    : `A page: ${description.charAt(0).toLowerCase()}${description.slice(1)}`;

/** The same failures at a hosted page (or the authorization and logout endpoints): problem.ts answers them as pages. */
export function pageErrors(...statuses: number[]) {
  const own: Record<number, string> = {
    400: "A page: the form or query is not valid",
    403: "A page: the form's CSRF token is not this browser's (csrf_failed)",
  };
  return Object.fromEntries(
    Object.entries(problems(...statuses)).map(([status, { description }]) => [
      status,
      { description: own[Number(status)] ?? asPage(description), content: HTML_PAGE },
    ]),
  );
}

/** What an issue about the whole of a validated part is said of (an unknown query parameter: `(query)`). */
const WHOLE: Record<string, string> = { query: "(query)", param: "(path)" };

/** Zod's issue, in the words of API.md's `errors: [{ path, message }]`. */
function toFieldError(issue: z.core.$ZodIssue, whole: string): FieldError {
  const path = issue.path.map(String).join(".") || whole;
  if (issue.code === "invalid_type" && / received undefined$/.test(issue.message)) {
    return { path, message: "is required" };
  }
  return { path, message: issue.message };
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
      const whole = WHOLE[(result as { target?: string }).target ?? ""] ?? "(body)";
      const schema = result.success
        ? []
        : result.error.issues.map((issue) => toFieldError(issue, whole)).filter((e) => !named.has(e.path));
      throw errors.validation([...unsafe, ...schema]);
    },
  });
}
