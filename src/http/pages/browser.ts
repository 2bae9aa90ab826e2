import type { Context } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { fixedLengthEqual } from "../../core/crypto/compare.js";
import { sha256Base64Url } from "../../core/crypto/digest.js";
import { toBase64Url } from "../../core/crypto/encoding.js";
import { errors } from "../../core/errors.js";
import type { AppEnv } from "../context.js";

/**
 * A random id per browser and tenant in a `__Host-` cookie (Secure, Path=/,
 * no Domain: a sibling subdomain cannot set or overwrite it, RFC 6265bis
 * §4.1.3.2). Forms carry an HMAC of it (the CSRF token: another site can
 * neither read the cookie nor compute the MAC), and pending authorization
 * requests are bound to its hash, so a request id works only in the browser
 * that started it.
 */
const cookieName = (c: Context<AppEnv>) => `__Host-csrf-${c.get("tenant").slug}`;
const ID = /^[A-Za-z0-9_-]{43}$/;
const purpose = (c: Context<AppEnv>) => `csrf:${c.get("tenant").id}`;

/** Ids minted during a request, so every use within it sees the same one. */
const minted = new WeakMap<Request, string>();

function existingId(c: Context<AppEnv>): string | null {
  const id = getCookie(c, cookieName(c));
  return id && ID.test(id) ? id : (minted.get(c.req.raw) ?? null);
}

/** This browser's id, minted (and its cookie set on the response) when it has none. */
function browserId(c: Context<AppEnv>): string {
  const existing = existingId(c);
  if (existing) return existing;
  const id = toBase64Url(c.get("services").random.bytes(32));
  // Lax: the first page of a sign-in is a top-level cross-site GET from the application.
  setCookie(c, cookieName(c), id, { path: "/", secure: true, httpOnly: true, sameSite: "Lax" });
  minted.set(c.req.raw, id);
  return id;
}

/** The CSRF token of this browser's forms. */
export function csrfToken(c: Context<AppEnv>): Promise<string> {
  return c.get("services").sealer.blindIndex(browserId(c), purpose(c));
}

/**
 * 403 (a page) unless the form's token is the MAC of this browser's id, under
 * any configured key. Reloading would post the same form again, so the page
 * links back to the application of the form's authorization request, if any.
 */
export async function checkCsrf(c: Context<AppEnv>, presented: string | undefined, requestId?: string): Promise<void> {
  const id = existingId(c);
  const expected = id && presented ? await c.get("services").sealer.blindIndexes(id, purpose(c)) : [];
  if (!presented || !expected.some((mac) => fixedLengthEqual(mac, presented))) {
    const trail = await c.get("services").pendingAuthorizations.trail(c.get("tenant"), requestId, null);
    throw errors.csrfFailed(trail?.home ?? null);
  }
}

/** What pending requests are bound to: the hash of this browser's id (never the id itself). */
export function browserBinding(c: Context<AppEnv>): Promise<string> {
  return sha256Base64Url(browserId(c));
}
