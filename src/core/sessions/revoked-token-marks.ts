import type { Clock } from "../ports/clock.js";
import type { Database, RevokedAccessToken } from "../ports/database.js";
import type { SessionStore } from "./session-store.js";

/** Writes the Redis marks of these revoked tokens back, each until its token expires. */
export function restoreMarks(store: SessionStore, tokens: RevokedAccessToken[], now: number): Promise<unknown> {
  return Promise.all(
    tokens.map((token) => store.blockJti(token.sessionId, token.jti, token.expiresAt.getTime() - now)),
  );
}

/**
 * Before a session's state goes back into Redis from the ledger (a refresh
 * after a Redis loss): its access tokens revoked one by one get their marks
 * back first, for once Redis holds the session, Redis alone answers.
 */
export async function restoreRevokedTokenMarks(
  deps: { db: Database; clock: Clock },
  store: SessionStore,
  tenantId: string,
  sessionId: string,
): Promise<void> {
  const now = deps.clock.now();
  await restoreMarks(store, await deps.db.revokedAccessTokens.listLive(tenantId, sessionId, now), now.getTime());
}
