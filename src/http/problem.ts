import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { AppError, errors, StoreUnavailableError } from "../core/errors.js";
import { errorFields } from "../core/logging/error-fields.js";
import { capText } from "../core/logging/redaction.js";
import { OAuthError } from "../core/oidc/oauth-error.js";
import type { LogFields, Logger } from "../core/ports/logger.js";
import type { AppEnv } from "./context.js";
import { ErrorPage } from "./pages/message-page.js";
import { pageContext, sendPage } from "./pages/page.js";
import { isPagePath } from "./pages/paths.js";

/**
 * The one place where failures become HTTP responses: RFC 9457
 * application/problem+json with a stable `code`, or, at the OAuth endpoints,
 * RFC 6749 §5.2 JSON (OAuthError). Nothing else in the app writes an error body.
 */
export function problemResponse(error: AppError): Response {
  const body = {
    // RFC 9457 §3.1.1: a URI naming the problem type; not meant to be dereferenced.
    type: `urn:authority:problem:${error.code}`,
    title: error.title,
    status: error.status,
    detail: error.detail,
    code: error.code,
    ...error.extra,
  };
  return new Response(JSON.stringify(body), {
    status: error.status,
    headers: { "Content-Type": "application/problem+json", ...error.headers },
  });
}

/** RFC 6749 §5.2: `{error, error_description}` as JSON, never cached (§5.1). */
function oauthErrorResponse(error: OAuthError): Response {
  return new Response(JSON.stringify({ error: error.error, error_description: error.description }), {
    status: error.status,
    headers: { "Content-Type": "application/json", "Cache-Control": "no-store", ...error.headers },
  });
}

function toAppError(error: unknown): AppError | undefined {
  if (error instanceof AppError) return error;
  if (error instanceof HTTPException) {
    // Hono raises these for bodies it cannot parse (e.g. malformed JSON).
    if (error.status === 400) return errors.malformedBody(error.message || "The body could not be parsed.");
    return new AppError(error.status, "http_error", "Request failed", error.message || "The request failed.");
  }
  return undefined;
}

/** A failure at a hosted page, as a page a person can read (same status and headers as the problem). */
async function errorPage(c: Context, error: AppError): Promise<Response> {
  const context = c as Context<AppEnv>;
  const page = await pageContext(context);
  return sendPage(context, page, ErrorPage({ page, error }), { status: error.status, headers: error.headers });
}

export function errorHandler(logger: Logger) {
  return (error: Error, c: Context): Response | Promise<Response> => {
    if (error instanceof OAuthError) return oauthErrorResponse(error);
    const known = toAppError(error);
    // A page needs the services (set early by the app): a failure before them stays problem+json.
    const page = isPagePath(c.req.path) && c.get("services") !== undefined;
    // The request's logger, once the app has set it (its lines carry the trace id too).
    const log = (event: string, fields: LogFields) =>
      (c.get("services")?.logger ?? logger).error(event, {
        request_id: c.get("requestId"),
        method: c.req.method,
        path: capText(c.req.path, 512),
        ...fields,
      });
    // A store outage is answered 503 like a known failure, and logged like an unexpected one.
    if (error instanceof StoreUnavailableError)
      log("store_unavailable", { store: error.store, ...errorFields(error.cause) });
    if (known) return page ? errorPage(c, known) : problemResponse(known);
    // Unexpected: log what explains it (bounded, never a query's parameters or the
    // request's body), answer without any internals.
    log("unhandled_error", errorFields(error));
    const internal = new AppError(500, "internal_error", "Internal error", "The server failed to handle the request.");
    return page ? errorPage(c, internal) : problemResponse(internal);
  };
}

export function notFoundHandler(): Response {
  return problemResponse(errors.notFound("No route matches this method and path."));
}
