import type { SessionRecord } from "../ports/database.js";
import type { SessionState } from "./session-state.js";

/** `client_id` of tokens issued to the service's own first-party login (no OAuth client involved). */
export const FIRST_PARTY_CLIENT = "first-party";

/**
 * A ledger row as the hot state Redis would hold, to re-seed a session Redis
 * lost; null when the row is absent, revoked or expired. Its claims carry no
 * user version, so the next refresh reads the user afresh.
 */
export function liveLedgerState(row: SessionRecord | null, now: number): SessionState | null {
  if (!row || row.revokedAt || !row.refreshHash) return null;
  if (row.expiresAt.getTime() <= now || row.absoluteExpiresAt.getTime() <= now) return null;
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
      clientId: row.clientId ?? FIRST_PARTY_CLIENT,
    },
  };
}
