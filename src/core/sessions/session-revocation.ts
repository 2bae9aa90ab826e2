import type { Tenant } from "../ports/database.js";
import { ACCESS_TOKEN_TTL_RANGE, settingsOf } from "../tenant-settings.js";
import { CLOCK_SKEW_SECONDS } from "../tokens/access-token.js";
import type { SessionStore } from "./session-store.js";

/**
 * How long an access token may stay valid after its session ends: the
 * longest lifetime any token may have (an OAuth client's may exceed the tenant's).
 */
export const REVOKED_TTL_MS = (ACCESS_TOKEN_TTL_RANGE.max + CLOCK_SKEW_SECONDS) * 1000;

/**
 * Ends sessions in Redis, then in the ledger (`writeLedger`). Redis first so a
 * failure in between fails closed: the sessions are refused at once, and the
 * caller's error leaves them live in the ledger, where a retry finds them
 * again (ledger first, a failed Redis write left them usable and a retry found
 * nothing left to end). Should the ledger write fail, Redis holds them refused
 * for as long as a session of the tenant may live, not just for its tokens' lifetime.
 */
export async function endSessions<T>(
  store: SessionStore,
  tenant: Tenant,
  ids: string[],
  reason: string,
  writeLedger: () => Promise<T>,
): Promise<T> {
  await Promise.all(ids.map((id) => store.revoke(id, REVOKED_TTL_MS, reason)));
  try {
    return await writeLedger();
  } catch (error) {
    await holdEnded(store, tenant, ids, reason);
    throw error;
  }
}

/**
 * Bulk revocations go a page at a time: a Postgres statement takes at most
 * 65,535 parameters, and a user or client may hold far more sessions.
 */
const REVOCATION_PAGE = 500;

/**
 * Ends every session `nextPage` finds live in the ledger, a page at a time,
 * each page as endSessions does (Redis, then `writeLedger`); resolves how many
 * the ledger ended. A page the ledger has ended is not found again; a page
 * that ended nothing (ended meanwhile by another request) is the last.
 */
export async function endAllSessions(
  store: SessionStore,
  tenant: Tenant,
  reason: string,
  nextPage: (limit: number) => Promise<string[]>,
  writeLedger: (ids: string[]) => Promise<string[]>,
): Promise<number> {
  let ended = 0;
  for (;;) {
    const ids = await nextPage(REVOCATION_PAGE);
    if (ids.length === 0) return ended;
    const written = await endSessions(store, tenant, ids, reason, () => writeLedger(ids));
    ended += written.length;
    if (ids.length < REVOCATION_PAGE || written.length === 0) return ended;
  }
}

/** Keeps sessions the ledger could not be told of refused in Redis for their longest possible life. */
export async function holdEnded(store: SessionStore, tenant: Tenant, ids: string[], reason: string): Promise<void> {
  const lifetime = Math.max(settingsOf(tenant).sessionAbsoluteTtl * 1000, REVOKED_TTL_MS);
  await Promise.allSettled(ids.map((id) => store.revoke(id, lifetime, reason)));
}
