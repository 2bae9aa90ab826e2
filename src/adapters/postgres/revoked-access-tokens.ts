import { and, eq, gt, lt } from "drizzle-orm";
import type { RevokedAccessTokenRepository } from "../../core/ports/database.js";
import type { DrizzleDb } from "./drizzle.js";
import { revokedAccessTokens } from "./schema.js";

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
      const rows = await db
        .delete(revokedAccessTokens)
        .where(lt(revokedAccessTokens.expiresAt, before))
        .returning({ jti: revokedAccessTokens.jti });
      return rows.length;
    },
  };
}
