import type { KeyOwner } from "../core/api-keys/api-keys.js";
import { CLIENT_ID_SHAPE } from "../core/oidc/clients.js";
import { keysetPage } from "../core/pagination/keyset.js";
import type { Tenant } from "../core/ports/database.js";
import type { Services } from "./context.js";
import { FULL_PAGE } from "./pagination.js";

/*
 * The listings of what a user holds, a page at a time: their sessions and
 * API keys (their own routes and the admin's), and the tenant's API keys and
 * OAuth clients. Each cursor works in the listing (tenant, and user) that
 * handed it out.
 */

type PageQuery = { limit?: number | undefined; cursor?: string | undefined };

export const SESSION_PAGES =
  "Most recently used first, `limit` (default 100) a page; `next_cursor` continues. A session used while the " +
  "pages are read moves to the front: the walk never shows it twice, and misses it if it had not reached it yet.";

export const API_KEY_PAGES =
  "Newest first, `limit` (default 100) a page; `next_cursor` continues. Keys created meanwhile never make a key " +
  "appear twice or go missing.";

export function sessionPage(
  services: Pick<Services, "cursors" | "sessions">,
  tenant: Tenant,
  userId: string,
  query: PageQuery,
) {
  return keysetPage(
    services.cursors,
    `sessions:${tenant.id}:${userId}`,
    { limit: query.limit ?? FULL_PAGE, cursor: query.cursor },
    (after, limit) => services.sessions.listLive(tenant, userId, after, limit),
    (row) => row.position,
  );
}

export function apiKeyPage(
  services: Pick<Services, "cursors" | "apiKeys">,
  tenant: Tenant,
  owner: KeyOwner,
  query: PageQuery,
) {
  return keysetPage(
    services.cursors,
    owner === "any" ? `api-keys:${tenant.id}` : `api-keys:${tenant.id}:${owner.userId}`,
    { limit: query.limit ?? FULL_PAGE, cursor: query.cursor },
    (after, limit) => services.apiKeys.list(tenant, owner, after, limit),
    (row) => row.position,
  );
}

/** The tenant's OAuth clients, newest first; a client id is no UUID, so the cursor's id is checked as one. */
export function clientPage(services: Pick<Services, "cursors" | "clients">, tenant: Tenant, query: PageQuery) {
  return keysetPage(
    services.cursors,
    `clients:${tenant.id}`,
    { limit: query.limit ?? FULL_PAGE, cursor: query.cursor },
    (after, limit) => services.clients.list(tenant, after, limit),
    (row) => row.position,
    CLIENT_ID_SHAPE,
  );
}
