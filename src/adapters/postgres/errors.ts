/**
 * The SQLSTATE of a failed query, whichever driver raised it (pg, Neon and
 * PGlite put it on `code`; drizzle may wrap the driver's error in `cause`).
 */
export function sqlState(error: unknown): string | undefined {
  for (let current = error, depth = 0; current && depth < 4; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

export const UNIQUE_VIOLATION = "23505";
const EXCLUSION_VIOLATION = "23P01";

/**
 * Concurrent writers of one tenant's key ring lose to each other in one of
 * these ways: the deferred exclusion constraint refuses the second ring, or,
 * while both check it, Postgres breaks the wait cycle by aborting one (40P01).
 * Either way nothing of the loser committed.
 */
export function lostRace(error: unknown): boolean {
  const state = sqlState(error);
  return state === EXCLUSION_VIOLATION || state === "40P01" || state === "40001";
}

/** Rows of a raw `db.execute` result: every driver answers `{ rows }`. */
export function rowsOf<T>(result: unknown): T[] {
  return ((result as { rows?: T[] }).rows ?? []) as T[];
}
