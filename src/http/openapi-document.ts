import type { OpenAPIHono } from "@hono/zod-openapi";
import { limitForRoute } from "../core/rate-limit/limits.js";
import { asPage } from "./openapi.js";
import { isPagePath } from "./pages/paths.js";

/**
 * What every operation of the served document says because of the layers
 * around the routes, not the routes themselves: said here once, for every
 * operation, so a route cannot forget it (API.md: the document describes
 * exactly what the service answers).
 */

export type OpenApiDocument = ReturnType<OpenAPIHono["getOpenAPI31Document"]>;

interface Response {
  description: string;
  content?: Record<string, unknown>;
  headers?: Record<string, unknown>;
}
interface Operation {
  operationId?: string;
  security?: Record<string, unknown>[];
  parameters?: unknown[];
  responses?: Record<string, Response>;
}

const METHODS = ["get", "put", "post", "delete", "patch"] as const;

/** Routes that reach neither Postgres nor Redis, so never answer 503 service_unavailable (docs/configuration.md). */
const STORELESS = new Set([
  "/",
  "/healthz",
  "/metrics",
  "/openapi.json",
  "/docs",
  "/docs/assets/{file}",
  "/assets/forms.js",
  "/assets/hosted.css",
  "/assets/passkey.js",
]);

const PROBLEM = { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } };
const PAGE = { "text/html": { schema: { type: "string" } } };
const header = (name: string) => ({ $ref: `#/components/headers/${name}` });
const text = { type: "string" as const };

/** The response headers the operations below refer to. */
const HEADERS = {
  "X-Request-Id": {
    description: "The request's id, echoed when the request's own is well formed (on every response)",
    required: true,
    schema: text,
  },
  "Retry-After": {
    description: "Seconds to wait before trying again (RFC 9110 §10.2.3)",
    required: true,
    schema: text,
  },
  "RateLimit-Limit": { description: "The limit's quota (draft-ietf-httpapi-ratelimit-headers)", schema: text },
  "RateLimit-Remaining": { description: "What is left of the quota", schema: text },
  "RateLimit-Reset": { description: "Seconds until the quota is whole again", schema: text },
  "RateLimit-Policy": { description: "The limit as `limit;w=window`", schema: text },
  "WWW-Authenticate": {
    description: 'The Bearer challenge (RFC 6750 §3): `Bearer realm="…"`, with `error="invalid_token"` for a bad token',
    required: true,
    schema: text,
  },
  Location: { description: "Where the redirect goes", required: true, schema: text },
  "Set-Cookie": {
    description:
      "A session cookie: on the JSON routes in cookie mode the `__Host-refresh-{tenant}` refresh cookie (set or " +
      "cleared); on the hosted pages this browser's id and provider session",
    schema: text,
  },
};

/** A tenant path under an unknown slug (resolveTenant, before any route). */
const TENANT_NOT_FOUND = { description: "Not found (tenant_not_found, not_found)", content: PROBLEM };
const UNAVAILABLE = {
  description: "A store this request needs is not answering (service_unavailable); Retry-After",
  content: PROBLEM,
};
/** limitBody answers any request with a body over MAX_BODY_BYTES, before any route (GET and HEAD carry none). */
const PAYLOAD_TOO_LARGE = { description: "Body too large (payload_too_large)", content: PROBLEM };
/** An admin write's If-Match that does not hold (adminPreconditions, or ifMatchBasis at a route with an ETag). */
const PRECONDITION_FAILED = {
  description:
    "If-Match names no current ETag of the resource, or a weak one (precondition_failed); on a route whose " +
    "resource has no ETag only `*` can hold",
  content: PROBLEM,
};
/** The request headers of a resource with an ETag (RFC 9110 §13.1.1, §13.1.2). */
const IF_MATCH = {
  name: "If-Match",
  in: "header",
  required: false,
  description:
    'Change only if the resource\'s current ETag is one of these (strong comparison: `W/"…"` never matches), else ' +
    "412; `*`: only if it exists",
  schema: text,
};
const IF_NONE_MATCH = {
  name: "If-None-Match",
  in: "header",
  required: false,
  description: "304 without a body when the resource's current ETag is one of these",
  schema: text,
};
const RATE_LIMITED = {
  description: "Rate limited (rate_limited); Retry-After and RateLimit-* headers",
  content: PROBLEM,
};

/**
 * A stable operationId from method and path: `POST /t/{tenant}/v1/login` is
 * `postV1Login`, `GET /v1/admin/tenants/{slug}` is `getV1AdminTenantsBySlug`
 * (the tenant segment, common to nearly all, is left out).
 */
function operationIdOf(method: string, path: string): string {
  const segments = path
    .replace(/\/t\/\{tenant\}/g, "")
    .split("/")
    .filter(Boolean);
  const words = segments.flatMap((segment) => {
    const param = /^\{(.+)\}$/.exec(segment);
    const parts = (param ? param[1] : segment)?.split(/[^A-Za-z0-9]+/).filter(Boolean) ?? [];
    return param ? ["by", ...parts] : parts;
  });
  const pascal = (word: string) => word.charAt(0).toUpperCase() + word.slice(1).toLowerCase();
  return method.toLowerCase() + (words.length > 0 ? words.map(pascal).join("") : "Root");
}

const hasEtag = (operation: Operation | undefined) =>
  Object.values(operation?.responses ?? {}).some((response) => response.headers && "ETag" in response.headers);

/** `tagged`: the path's GET answers an ETag, so its writes (a DELETE too) take If-Match. */
function finishOperation(path: string, method: string, operation: Operation, tagged: boolean): void {
  operation.operationId ??= operationIdOf(method, path);
  const responses: Record<string, Response> = { ...operation.responses };
  if (path.includes("{tenant}") && !responses["404"]) responses["404"] = TENANT_NOT_FOUND;
  if (limitForRoute(method.toUpperCase(), path.replace(/\{([^}]+)\}/g, ":$1")) && !responses["429"]) {
    responses["429"] = RATE_LIMITED;
  }
  if (!STORELESS.has(path) && !responses["503"]) responses["503"] = UNAVAILABLE;
  if (method !== "get" && !responses["413"]) responses["413"] = PAYLOAD_TOO_LARGE;
  if (method !== "get" && path.includes("/v1/admin/") && !responses["412"]) responses["412"] = PRECONDITION_FAILED;
  // A resource with an ETag takes If-Match on its writes (preconditions.ts), If-None-Match on a GET answering 304.
  if (method !== "get" && (tagged || hasEtag(operation))) {
    operation.parameters = [...(operation.parameters ?? []), IF_MATCH];
  } else if (method === "get" && hasEtag(operation) && responses["304"]) {
    operation.parameters = [...(operation.parameters ?? []), IF_NONE_MATCH];
  }
  // problem.ts answers every failure at a hosted page (or the authorization and logout endpoints) as a page.
  const page = isPagePath(path.replace(/\{[^}]+\}/g, "x"));
  const bearer = operation.security?.some((requirement) => "bearer" in requirement) === true;
  const otherCredentials =
    operation.security?.some((requirement) => Object.keys(requirement).some((scheme) => scheme !== "bearer")) === true;
  for (const [status, original] of Object.entries(responses)) {
    const response: Response = {
      ...original,
      headers: { ...original.headers, "X-Request-Id": header("X-Request-Id") },
    };
    const headers = response.headers as Record<string, unknown>;
    if (page && response.content?.["application/problem+json"]) {
      response.content = PAGE;
      response.description = asPage(response.description);
    }
    if (page) headers["Set-Cookie"] ??= header("Set-Cookie");
    if (status === "429") {
      headers["Retry-After"] ??= header("Retry-After");
      for (const name of ["Limit", "Remaining", "Reset", "Policy"])
        headers[`RateLimit-${name}`] ??= header(`RateLimit-${name}`);
    }
    if (status === "423") headers["Retry-After"] ??= header("Retry-After");
    // A conflict that passes once the other request is done (rotation_conflict, concurrent_change) says when.
    if (status === "409") headers["Retry-After"] ??= { ...HEADERS["Retry-After"], required: false };
    if (status === "503") headers["Retry-After"] ??= { ...HEADERS["Retry-After"], required: false };
    if (status.startsWith("3") && status !== "304") headers.Location ??= header("Location");
    if (status === "401" && bearer) {
      // Without a Bearer credential (a client's Basic failing, or its credentials in the form), another challenge or none.
      headers["WWW-Authenticate"] ??= otherCredentials
        ? {
            ...HEADERS["WWW-Authenticate"],
            required: false,
            description:
              'For a Bearer credential, the Bearer challenge; for a client that tried HTTP Basic, `Basic realm="…"` ' +
              "(RFC 6749 §5.2); none when the client's credentials came in the form",
          }
        : header("WWW-Authenticate");
    }
    if (status === "403" && bearer) {
      headers["WWW-Authenticate"] ??= {
        ...HEADERS["WWW-Authenticate"],
        required: false,
        description:
          'A token or API key without the scope the route needs: `Bearer realm="…", error="insufficient_scope"`, ' +
          "with `scope` when one scope would do (RFC 6750 §3.1)",
      };
    }
    responses[status] = response;
  }
  operation.responses = responses;
}

/** Says on every operation what the layers around the routes answer. Changes `document`. */
export function finishDocument(document: OpenApiDocument): OpenApiDocument {
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const method of METHODS) {
      const operation = item?.[method] as Operation | undefined;
      if (operation) finishOperation(path, method, operation, hasEtag(item?.get as Operation | undefined));
    }
  }
  document.components = { ...document.components, headers: { ...document.components?.headers, ...HEADERS } };
  return document;
}
