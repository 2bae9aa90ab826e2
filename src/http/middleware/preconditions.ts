import type { MiddlewareHandler } from "hono";
import { errors } from "../../core/errors.js";

const WRITES = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * Conditional admin writes (RFC 9110 §13.1.1). If-Match is true when a listed
 * entity tag matches the target's current one; the admin API sends no ETag
 * yet, so only `*` can hold. Any other If-Match is 412, so an operator's
 * read-modify-write that asked not to overwrite a change never does. The admin
 * auth middlewares end with this one: a 401 or 403 goes first (§13.2.1).
 * `*` passes: a target that does not exist answers 404 at the route, except
 * a PUT creating a provider or connection (not refused yet; documented).
 */
export const adminPreconditions: MiddlewareHandler = async (c, next) => {
  const ifMatch = c.req.header("if-match");
  if (ifMatch !== undefined && WRITES.has(c.req.method) && ifMatch.trim() !== "*") {
    throw errors.preconditionFailed();
  }
  await next();
};
