import { isLoopbackHttp } from "./egress.js";

/** Schemes that run or read something where they land, never a place to send a code or token. */
const DANGEROUS_SCHEMES = new Set(["javascript:", "data:", "file:", "blob:", "about:", "vbscript:"]);
/** What an authorization, federated-login or logout response adds to its redirect URI. */
const RESPONSE_PARAMETERS = new Set(["code", "state", "error", "error_description", "error_uri", "iss"]);

/**
 * Why a URI cannot be registered as a redirect target (the tenant's
 * allowlist, an OAuth client's redirect and post-logout URIs), or null when
 * it can: an absolute URI without a fragment (RFC 6749 §3.1.2) that is
 * https, http only on a loopback host (RFC 8252 §7.3), or a native app's
 * private-use scheme (RFC 8252 §7.1). Registered URIs are compared as exact
 * strings (RFC 9700 §2.1), so whitespace, a backslash (which browsers read
 * as a slash) or a wildcard could never match what the admin meant and is
 * refused too.
 */
export function redirectUriProblem(uri: string): string | null {
  if (uri.length > 2048) return "must be at most 2048 characters";
  if (/[\s\\]/.test(uri)) return "must not contain whitespace or backslashes";
  if (!URL.canParse(uri)) return "must be an absolute URI";
  if (uri.includes("#")) return "must not have a fragment";
  const url = new URL(uri);
  // `https:a.example` and `http:/host` parse, but no client sends them: exact matching would never meet them.
  if ((url.protocol === "http:" || url.protocol === "https:") && !/^https?:\/\//i.test(uri)) {
    return "must be written scheme://host/...";
  }
  // A URI with credentials hands them to whoever reads the redirect (RFC 9110 §4.2.4 deprecates them).
  if (url.username !== "" || url.password !== "") return "must not contain a user name or password";
  if (url.hostname.includes("*")) return "must not contain a wildcard";
  const reserved = [...url.searchParams.keys()].find((name) => RESPONSE_PARAMETERS.has(name));
  // RFC 6749 §3.1: a response parameter appears once, so the URI may not hold one the response adds.
  if (reserved !== undefined) return `must not have ${reserved} in its query: the response adds it`;
  if (url.protocol === "http:" ? !isLoopbackHttp(url) : DANGEROUS_SCHEMES.has(url.protocol)) {
    return "must be https, http on a loopback host, or a native app's private-use scheme";
  }
  return null;
}

/** An http redirect URI to a loopback IP literal: host, then the path and query after the port. */
const LOOPBACK_IP_URI = /^http:\/\/(127\.0\.0\.1|\[::1\])(?::(\d{1,5}))?([/?].*)?$/;

/** The URI without its port, when it is one a native app may give any port (RFC 8252 §7.3), else null. */
function portlessLoopback(uri: string): string | null {
  const match = LOOPBACK_IP_URI.exec(uri);
  if (!match || Number(match[2] ?? 80) > 65_535) return null;
  return `http://${match[1]}${match[3] ?? ""}`;
}

/**
 * Whether a client registered the redirect URI a request names: the same
 * string (RFC 9700 §2.1), except that for a native app (`nativeApp`: a public
 * client) a loopback IP literal's port may differ (RFC 8252 §7.3: it listens
 * on a port the system gives it). RFC 9700 §2.1 allows no other exception.
 */
export function isRegisteredRedirectUri(registered: readonly string[], presented: string, nativeApp: boolean): boolean {
  if (registered.includes(presented)) return true;
  if (!nativeApp) return false;
  const portless = portlessLoopback(presented);
  return portless !== null && registered.some((uri) => portlessLoopback(uri) === portless);
}

/**
 * `uri` with these query parameters added after its own query, which is kept
 * as registered (RFC 6749 §3.1.2: `flag` stays `flag`, `%20` stays `%20`).
 */
export function withParams(uri: string, params: Record<string, string | null>): string {
  const added = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== null) added.append(key, value);
  }
  const url = new URL(uri);
  url.search = [url.search.slice(1), added.toString()].filter((part) => part !== "").join("&");
  return url.toString();
}
