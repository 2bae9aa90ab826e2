import type { Context, MiddlewareHandler } from "hono";
import { errors } from "../../core/errors.js";
import type { Tenant } from "../../core/ports/database.js";
import type { AppEnv } from "../context.js";
import { representationTag } from "../etag.js";

const WRITES = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * Conditional admin writes (RFC 9110 §13.1.1). If-Match is true when a listed
 * entity tag matches the target's current one. Routes that send an ETag list
 * `comparesEntityTags` first and compare in `ifMatchBasis`; on any other
 * write only `*` can hold, so an entity tag there is 412 and an operator's
 * read-modify-write that asked not to overwrite a change never does. The
 * admin auth middlewares end with this one: a 401 or 403 goes first (§13.2.1).
 * `*` passes here: a target that does not exist answers 404 at the route,
 * and a PUT that would create one asks `ifMatchAnyHolds` first.
 */
export const adminPreconditions: MiddlewareHandler<AppEnv> = async (c, next) => {
  const ifMatch = c.req.header("if-match");
  if (ifMatch !== undefined && WRITES.has(c.req.method) && ifMatch.trim() !== "*" && !c.get("comparesEntityTags")) {
    throw errors.preconditionFailed();
  }
  await next();
};

/** Listed first on a route that sends an ETag and compares If-Match's entity tags itself (ifMatchBasis). */
export const comparesEntityTags: MiddlewareHandler<AppEnv> = async (c, next) => {
  c.set("comparesEntityTags", true);
  await next();
};

/** A PUT that would create its target: `If-Match: *` holds only when the target exists (§13.1.1), else 412. */
export async function ifMatchAnyHolds(c: Context, exists: () => Promise<unknown>): Promise<void> {
  if (c.req.header("if-match")?.trim() === "*" && !(await exists())) throw errors.preconditionFailed();
}

/**
 * The basis of a conditional write (RFC 9110 §13.1.1). Without If-Match, or
 * with `*`: undefined, the write is unconditional. With entity tags: the
 * target's current state, read now, when its ETag is one of them, else 412
 * (none for a target that does not exist). Weak tags never match (strong
 * comparison, §8.8.3.2). The write then holds only while the target is still
 * in that state, in its own statement, so of two writers naming one ETag one
 * succeeds and the other gets 412.
 */
export async function ifMatchBasis<T>(
  c: Context,
  read: () => Promise<T | null>,
  tag: (state: T) => Promise<string>,
): Promise<T | undefined> {
  const ifMatch = c.req.header("if-match");
  if (ifMatch === undefined || ifMatch.trim() === "*") return undefined;
  const strong = [...ifMatch.matchAll(/(W\/)?("[^"]*")/g)].filter((tag) => !tag[1]).map((tag) => tag[2]);
  const state = await read();
  if (!state || !strong.includes(await tag(state))) throw errors.preconditionFailed();
  return state;
}

/** ifMatchBasis for a resource made of tenant settings: the tenant as stored now, tagged by its `view`. */
export function tenantBasis(
  c: Context<AppEnv>,
  view: (tenant: Tenant) => unknown,
  hidden?: (tenant: Tenant) => string,
): Promise<Tenant | undefined> {
  return ifMatchBasis(
    c,
    () => c.get("services").tenants.fresh(c.get("tenant")),
    (tenant) => representationTag(c, view(tenant), hidden?.(tenant)),
  );
}
