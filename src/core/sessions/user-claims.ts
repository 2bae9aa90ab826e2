import { type UserVersions, versionOf } from "../accounts/user-versions.js";
import type { Database, UserRecord } from "../ports/database.js";
import type { SessionClaims } from "./session-state.js";

/** Scopes every access token carries; users may hold more (`users.scopes`). */
export const DEFAULT_SCOPES = ["openid", "profile", "email"];

/** The scope of a user's tokens: the defaults and what the user holds now. */
export const scopeOf = (user: Pick<UserRecord, "scopes">): string =>
  [...new Set([...DEFAULT_SCOPES, ...user.scopes])].join(" ");

/** The scope tokens (space-separated, RFC 6749 §3.3). */
export const scopeList = (scope: string): string[] => scope.split(" ").filter((s) => s !== "");

/** The scopes of `wanted` that `held` also has, in `wanted`'s order. */
export function narrowScope(wanted: string, held: string): string {
  const allowed = new Set(scopeList(held));
  return scopeList(wanted)
    .filter((s) => allowed.has(s))
    .join(" ");
}

/**
 * A session's claims as its user stands now: `unchanged` when the user's
 * version still equals the claims' (one Redis read, no Postgres), new claims
 * when the user changed, `ended` when the user is deleted or disabled.
 */
export async function claimsOfCurrentUser(
  deps: { db: Database; userVersions: UserVersions },
  tenantId: string,
  claims: SessionClaims,
): Promise<"unchanged" | "ended" | SessionClaims> {
  const { version, user: read } = await deps.userVersions.current(tenantId, claims.userId);
  if (version === claims.userVersion) return "unchanged";
  const user = read === undefined ? await deps.db.users.findById(tenantId, claims.userId) : read;
  if (!user || user.disabledAt) return "ended";
  // A change that did not raise the cached version (e.g. a password rehash) raises it now.
  if (version < versionOf(user)) await deps.userVersions.raise(tenantId, user.id, user);
  // Claims read just now are current as of the newer of the two, so the next refresh matches the cache
  // even when a writer's clock set updated_at below it.
  // A client's session keeps to its grant: what the user lost leaves it, nothing the user gained joins it.
  const scope = claims.grant === undefined ? scopeOf(user) : narrowScope(claims.grant, scopeOf(user));
  return { ...claims, scope, userVersion: Math.max(version, versionOf(user)) };
}

/**
 * A client's session as far as the client's registration reaches now: an
 * admin who narrows the client's scopes narrows its live grants at their
 * next refresh (RFC 6749 §6: never wider than granted). Not stored: the
 * grant stays what was authorized, and bounds the session whatever the client is.
 */
export const claimsWithinClient = (claims: SessionClaims, clientScopes: readonly string[]): SessionClaims => ({
  ...claims,
  scope: narrowScope(claims.scope, clientScopes.join(" ")),
});
