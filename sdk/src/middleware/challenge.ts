/**
 * The error answers of every middleware: RFC 9457 problem+json bodies (the
 * authority's own shape, `{type, title, status, detail, code}`) with the RFC
 * 6750 §3 `WWW-Authenticate` challenges.
 */

export interface Refusal {
  status: 400 | 401 | 403 | 500 | 503;
  headers: Record<string, string>;
  body: { type: string; title: string; status: number; detail: string; code: string };
}

/** RFC 7230 §3.2.6 quoted-string. */
const quoted = (value: string) => `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
/** RFC 6750 §3: error_description is limited to %x20-21 / %x23-5B / %x5D-7E. */
const description = (text: string) => `"${text.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, "'")}"`;

function refusal(
  status: Refusal["status"],
  code: string,
  title: string,
  detail: string,
  headers: Record<string, string>,
): Refusal {
  return {
    status,
    headers: { "Content-Type": "application/problem+json", "Cache-Control": "no-store", ...headers },
    // RFC 9457 §3.1.1: a URI naming the problem type, as the authority names its own.
    body: { type: `urn:authority:problem:${code}`, title, status, detail, code },
  };
}

/** RFC 6750 §3.1: without credentials (or with another scheme) the challenge carries no error code. */
export const noCredentials = (realm: string): Refusal =>
  refusal(401, "unauthorized", "Unauthorized", "This resource needs a Bearer token.", {
    "WWW-Authenticate": `Bearer realm=${quoted(realm)}`,
  });

/** RFC 6750 §3.1 invalid_request: the Authorization header is not a well-formed Bearer credential. */
export const invalidRequest = (realm: string, detail: string): Refusal =>
  refusal(400, "invalid_request", "Bad Request", detail, {
    "WWW-Authenticate": `Bearer realm=${quoted(realm)}, error="invalid_request", error_description=${description(detail)}`,
  });

/** RFC 6750 §3.1 invalid_token: presented, but expired, revoked, malformed or otherwise invalid. */
export const invalidToken = (realm: string, detail: string, code = "invalid_token"): Refusal =>
  refusal(401, code, "Unauthorized", detail, {
    "WWW-Authenticate": `Bearer realm=${quoted(realm)}, error="invalid_token", error_description=${description(detail)}`,
  });

/** RFC 6750 §3.1 insufficient_scope, naming the scopes needed. */
export const insufficientScope = (realm: string, scopes: readonly string[]): Refusal =>
  refusal(403, "insufficient_scope", "Forbidden", `This resource needs the scopes: ${scopes.join(" ")}.`, {
    "WWW-Authenticate": `Bearer realm=${quoted(realm)}, error="insufficient_scope", scope=${quoted(scopes.join(" "))}`,
  });

/** The verdict could not be reached (JWKS, introspection or API-key check unreachable): not the client's fault. */
export const unavailable = (detail: string): Refusal =>
  refusal(503, "service_unavailable", "Service Unavailable", detail, { "Retry-After": "5" });

/**
 * The authority refused this service's own credential (see CredentialAlarm): the service is
 * misconfigured. A 500 rather than a 503, since waiting will not help; the client is told no more.
 */
export const misconfigured = (code: string): Refusal =>
  refusal(500, code, "Internal Server Error", "This service cannot check credentials: its configuration is wrong.", {});

export const refusalResponse = (r: Refusal): Response =>
  new Response(JSON.stringify(r.body), { status: r.status, headers: r.headers });
