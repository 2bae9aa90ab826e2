import type { UserRecord } from "../ports/database.js";
import { DEFAULT_SCOPES } from "../sessions/user-claims.js";

/** Scopes for other services calling this one (API.md). */
export const SERVICE_SCOPES = ["tokens:introspect", "api_keys:verify"];
export const ADMIN_SCOPE = "admin";
/** How recent a user's login must be to mint a key with `admin` or a service scope. */
export const FRESH_LOGIN_MS = 5 * 60_000;
/** Scopes whose keys need a fresh login (and, with a second factor, a step-up). */
export const isPowerful = (scope: string) => scope === ADMIN_SCOPE || SERVICE_SCOPES.includes(scope);
/** Usable (neither revoked nor expired) keys a user may hold at once. */
export const MAX_USER_KEYS = 100;
/** Usable service keys a tenant may hold at once. */
export const MAX_SERVICE_KEYS = 1_000;

/** What a holder of `scopes` may put on a key: those, and the service scopes only with admin. */
export function grantableFrom(scopes: readonly string[]): Set<string> {
  const held = new Set(scopes);
  if (held.has(ADMIN_SCOPE)) for (const scope of SERVICE_SCOPES) held.add(scope);
  return held;
}

/** What a user may put on a key: what they hold, and admin and service scopes only when they hold admin. */
export const grantableScopes = (user: Pick<UserRecord, "scopes">): Set<string> =>
  grantableFrom([...DEFAULT_SCOPES, ...user.scopes]);
