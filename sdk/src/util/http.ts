/**
 * Outgoing requests of the SDK (JWKS, introspection, API-key verification):
 * a timeout on each, the platform fetch looked up at call time (Workers
 * refuse a detached `fetch`), and URLs that must be https except on loopback,
 * since an API key or the keys that decide who gets in travel over them.
 */
import type { FetchLike } from "../verify/types.js";

export const defaultFetch: FetchLike = (input, init) => globalThis.fetch(input, init);

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** Checks `url` once, at construction: a misconfiguration is a programming error, thrown at once. */
export function checkedUrl(url: string, what: string, allowInsecureHttp = false): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`${what} is not a URL: ${url}`);
  }
  const loopback = LOOPBACK.has(parsed.hostname) || parsed.hostname.endsWith(".localhost");
  if (parsed.protocol === "https:" || (parsed.protocol === "http:" && (loopback || allowInsecureHttp))) {
    return parsed.toString();
  }
  throw new TypeError(`${what} must use https (http only for loopback, or with allowInsecureHttp): ${url}`);
}

/** `{issuer}{path}`: the authority's routes hang below the tenant issuer (API.md, "Tenancy and issuer"). */
export const underIssuer = (issuer: string, path: string) => `${issuer.replace(/\/+$/, "")}${path}`;

/** A bounded number, or a TypeError naming the option. */
export function bounded(value: number | undefined, fallback: number, min: number, max: number, name: string): number {
  const chosen = value ?? fallback;
  if (typeof chosen !== "number" || !Number.isFinite(chosen) || chosen < min || chosen > max) {
    throw new RangeError(`${name} must be between ${min} and ${max}`);
  }
  return chosen;
}

export interface JsonAnswer {
  status: number;
  body: unknown;
}

/** POSTs with the caller's Bearer credential and reads a JSON answer; rejects on network errors and timeouts. */
export async function postWithBearer(
  fetchImpl: FetchLike,
  url: string,
  credential: string,
  body: { json: unknown } | { form: Record<string, string> },
  timeoutMs: number,
): Promise<JsonAnswer> {
  const json = "json" in body;
  const response = await fetchImpl(url, {
    method: "POST",
    headers: {
      Authorization: `Bearer ${credential}`,
      Accept: "application/json",
      "Content-Type": json ? "application/json" : "application/x-www-form-urlencoded",
    },
    body: json ? JSON.stringify(body.json) : new URLSearchParams(body.form).toString(),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text.length > 0 ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  return { status: response.status, body: parsed };
}
