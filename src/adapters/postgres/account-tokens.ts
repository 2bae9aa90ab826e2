import { and, asc, eq, gt, inArray, isNull, lt } from "drizzle-orm";
import type { AccountTokenPurpose, AccountTokenRecord, AccountTokenRepository } from "../../core/ports/database.js";
import { byteOrder, type DrizzleDb } from "./drizzle.js";
import { accountTokens } from "./schema.js";

/** Rows one statement of the cleanup deletes: each stays well within DATABASE_STATEMENT_TIMEOUT. */
const PURGE_BATCH = 5_000;

const toToken = (row: typeof accountTokens.$inferSelect): AccountTokenRecord => ({ ...row });

const usable = (tenantId: string, tokenHash: string, purposes: readonly AccountTokenPurpose[], at: Date) =>
  and(
    eq(accountTokens.tokenHash, tokenHash),
    eq(accountTokens.tenantId, tenantId),
    inArray(accountTokens.purpose, [...purposes]),
    isNull(accountTokens.usedAt),
    gt(accountTokens.expiresAt, at),
  );

export function accountTokenRepository(db: DrizzleDb): AccountTokenRepository {
  return {
    async find(tenantId, tokenHash, purposes, at) {
      const [row] = await db
        .select()
        .from(accountTokens)
        .where(usable(tenantId, tokenHash, purposes, at))
        .limit(1);
      return row ? toToken(row) : null;
    },

    async create(token) {
      await db.insert(accountTokens).values(token);
    },

    async consume(tenantId, tokenHash, purposes, at) {
      const [row] = await db
        .update(accountTokens)
        .set({ usedAt: at })
        .where(usable(tenantId, tokenHash, purposes, at))
        .returning();
      return row ? toToken(row) : null;
    },

    async spendAll(tenantId, userId, purposes, at) {
      const rows = await db
        .update(accountTokens)
        .set({ usedAt: at })
        .where(
          and(
            eq(accountTokens.tenantId, tenantId),
            eq(accountTokens.userId, userId),
            inArray(accountTokens.purpose, [...purposes]),
            isNull(accountTokens.usedAt),
          ),
        )
        .returning({ tokenHash: accountTokens.tokenHash });
      return rows.length;
    },

    async purgeExpired(before) {
      // In batches, so a backlog is cleared a bounded statement at a time.
      let total = 0;
      for (;;) {
        const batch = db
          .select({ tokenHash: accountTokens.tokenHash })
          .from(accountTokens)
          .where(lt(accountTokens.expiresAt, before))
          .limit(PURGE_BATCH);
        const rows = await db
          .delete(accountTokens)
          .where(inArray(accountTokens.tokenHash, batch))
          .returning({ tokenHash: accountTokens.tokenHash });
        total += rows.length;
        if (rows.length < PURGE_BATCH) return total;
      }
    },

    async pageUsable(afterHash, limit, at) {
      const rows = await db
        .select()
        .from(accountTokens)
        .where(
          and(
            isNull(accountTokens.usedAt),
            gt(accountTokens.expiresAt, at),
            afterHash === null ? undefined : gt(byteOrder(accountTokens.tokenHash), afterHash),
          ),
        )
        .orderBy(asc(byteOrder(accountTokens.tokenHash)))
        .limit(limit);
      return rows.map(toToken);
    },

    async reseal(tokenHash, from, to) {
      const rows = await db
        .update(accountTokens)
        .set(to)
        .where(
          and(
            eq(accountTokens.tokenHash, tokenHash),
            eq(accountTokens.emailIndex, from.emailIndex),
            from.emailSealed === null
              ? isNull(accountTokens.emailSealed)
              : eq(accountTokens.emailSealed, from.emailSealed),
            isNull(accountTokens.usedAt),
          ),
        )
        .returning({ tokenHash: accountTokens.tokenHash });
      return rows.length > 0;
    },
  };
}
