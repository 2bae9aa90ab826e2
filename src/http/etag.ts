import type { Context } from "hono";
import type { CryptoPrimitives } from "../core/ports/crypto.js";
import type { AppEnv } from "./context.js";

/** A strong ETag for a body: 160 bits of its SHA-256, base64url. */
export async function etagOf(primitives: CryptoPrimitives, body: string): Promise<string> {
  return `"${(await primitives.sha256Text(body, "base64url")).slice(0, 27)}"`;
}

/** Whether the request's If-None-Match names this ETag (weak comparison) or is `*` (RFC 9110 §13.1.2). */
export function notModified(c: Context, etag: string): boolean {
  const match = c.req.header("if-none-match");
  return match?.split(",").some((tag) => tag.trim() === "*" || tag.trim().replace(/^W\//, "") === etag) ?? false;
}

/**
 * An admin resource's strong ETag: its JSON representation and `hidden`, the
 * stored (sealed or hashed) form of a secret its writes carry, never shown, so
 * a secret's change changes the ETag too (a conditional write cannot undo it).
 */
export function representationTag(c: Context<AppEnv>, view: unknown, hidden = ""): Promise<string> {
  return etagOf(c.get("services").sealer.primitives, `${JSON.stringify(view)}\n${hidden}`);
}

/** Sets an admin resource's ETag; true when the request is a GET whose If-None-Match names it (answer 304). */
export async function tagged(c: Context<AppEnv>, view: unknown, hidden?: string): Promise<boolean> {
  const etag = await representationTag(c, view, hidden);
  c.header("ETag", etag);
  return c.req.method === "GET" && notModified(c, etag);
}
