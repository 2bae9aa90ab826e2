import type { Context, MiddlewareHandler } from "hono";
import { errors } from "../../core/errors.js";

const WRITES = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * Conditional admin writes (RFC 9110 §13.1.1). If-Match is true when a listed
 * entity tag matches the target's current one; the admin API sends no ETag
 * yet, so only `*` can hold. Any other If-Match is 412, so an operator's
 * read-modify-write that asked not to overwrite a change never does. The admin
 * auth middlewares end with this one: a 401 or 403 goes first (§13.2.1).
 * `*` passes here: a target that does not exist answers 404 at the route,
 * and a PUT that would create one asks `ifMatchAnyHolds` first.
 */
export const adminPreconditions: MiddlewareHandler = async (c, next) => {
  const ifMatch = c.req.header("if-match");
  if (ifMatch !== undefined && WRITES.has(c.req.method) && ifMatch.trim() !== "*") {
    throw errors.preconditionFailed();
  }
  await next();
};

/** A PUT that would create its target: `If-Match: *` holds only when the target exists (§13.1.1), else 412. */
export async function ifMatchAnyHolds(c: Context, exists: () => Promise<unknown>): Promise<void> {
  if (c.req.header("if-match")?.trim() === "*" && !(await exists())) throw errors.preconditionFailed();
}
