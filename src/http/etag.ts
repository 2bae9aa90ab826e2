import type { Context } from "hono";
import type { CryptoPrimitives } from "../core/ports/crypto.js";

/** A strong ETag for a body: 160 bits of its SHA-256, base64url. */
export async function etagOf(primitives: CryptoPrimitives, body: string): Promise<string> {
  return `"${(await primitives.sha256Text(body, "base64url")).slice(0, 27)}"`;
}

/** Whether the request's If-None-Match names this ETag (weak comparison) or is `*` (RFC 9110 §13.1.2). */
export function notModified(c: Context, etag: string): boolean {
  const match = c.req.header("if-none-match");
  return match?.split(",").some((tag) => tag.trim() === "*" || tag.trim().replace(/^W\//, "") === etag) ?? false;
}
