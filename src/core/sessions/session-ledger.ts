import type { SessionRecord } from "../ports/database.js";
import type { SessionState } from "./session-state.js";

/** `client_id` of tokens issued to the service's own first-party login (no OAuth client involved). */
export const FIRST_PARTY_CLIENT = "first-party";

/**
 * A ledger row as the hot state Redis would hold, to re-seed a session Redis
 * lost; null when the row is absent, revoked or expired. Its claims carry no
 * user version, so the next refresh reads the user afresh. An OAuth client's
 * row keeps the granted scope; its provider session is known to Redis only.
 */
export function liveLedgerState(row: SessionRecord | null, now: number): SessionState | null {
  if (!row || row.revokedAt || !row.refreshHash) return null;
  if (row.expiresAt.getTime() <= now || row.absoluteExpiresAt.getTime() <= now) return null;
  const clientId = row.clientId ?? FIRST_PARTY_CLIENT;
  return {
    generation: row.refreshGeneration,
    hash: row.refreshHash,
    idleExpiresAt: row.expiresAt.getTime(),
    absoluteExpiresAt: row.absoluteExpiresAt.getTime(),
    claims: {
      userId: row.userId,
      authTime: Math.floor(row.authTime.getTime() / 1000),
      amr: row.amr,
      scope: row.scope,
      clientId,
      ...(clientId === FIRST_PARTY_CLIENT ? {} : { grant: row.scope }),
    },
  };
}
