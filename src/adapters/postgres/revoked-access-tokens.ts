import { and, eq, gt, sql } from "drizzle-orm";
import type { RevokedAccessTokenRepository } from "../../core/ports/database.js";
import type { DrizzleDb } from "./drizzle.js";
import { revokedAccessTokens } from "./schema.js";

/** Rows one statement of the cleanup deletes: each stays well within DATABASE_STATEMENT_TIMEOUT. */
const PURGE_BATCH = 5_000;

export function revokedAccessTokenRepository(db: DrizzleDb): RevokedAccessTokenRepository {
  return {
    async record(token) {
      await db.insert(revokedAccessTokens).values(token).onConflictDoNothing();
    },

    async listLive(tenantId, sessionId, now) {
      return db
        .select()
        .from(revokedAccessTokens)
        .where(
          and(
            eq(revokedAccessTokens.tenantId, tenantId),
            eq(revokedAccessTokens.sessionId, sessionId),
            gt(revokedAccessTokens.expiresAt, now),
          ),
        );
    },

    async purgeExpired(before) {
      // In batches, by row address (the key has three columns), so a backlog is cleared a bounded statement at a time.
      let total = 0;
      for (;;) {
        const rows = await db
          .delete(revokedAccessTokens)
          .where(
            sql`ctid IN (SELECT ctid FROM ${revokedAccessTokens} WHERE ${revokedAccessTokens.expiresAt} < ${before} LIMIT ${PURGE_BATCH})`,
          )
          .returning({ jti: revokedAccessTokens.jti });
        total += rows.length;
        if (rows.length < PURGE_BATCH) return total;
      }
    },
  };
}
