import {
  and,
  asc,
  type Column,
  count,
  eq,
  exists,
  gt,
  inArray,
  isNotNull,
  isNull,
  lt,
  ne,
  or,
  type SQL,
} from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import type { RecoveryCodeRepository, TotpRecord, TotpRepository } from "../../core/ports/database.js";
import type { DrizzleDb } from "./drizzle.js";
import { sqlState, UNIQUE_VIOLATION } from "./errors.js";
import { mfaRecoveryCodes, mfaTotp } from "./schema.js";
import { ERASED } from "./tables/columns.js";
import { unsaltedRecoveryCode } from "./tables/mfa.js";

const toTotp = ({ updatedAt: _, deletedAt: __, ...row }: typeof mfaTotp.$inferSelect): TotpRecord => row;

/** The table again, to ask about a user's other authenticators. */
const confirmedTotp = alias(mfaTotp, "confirmed_totp");

const liveTotp = (tenantId: string, userId: string) =>
  and(eq(mfaTotp.tenantId, tenantId), eq(mfaTotp.userId, userId), isNull(mfaTotp.deletedAt));

/**
 * A user's confirmed, live authenticator (at most one: the condition of mfa_totp_user_confirmed_key), in
 * `table`: mfa_totp for a given user, or its alias in a subquery about the outer row's user.
 */
const confirmedLiveTotp = (
  tenantId: string | Column,
  userId: string | Column,
  table: typeof mfaTotp | typeof confirmedTotp = mfaTotp,
) => and(eq(table.tenantId, tenantId), eq(table.userId, userId), isNotNull(table.confirmedAt), isNull(table.deletedAt));

export function totpRepository(db: DrizzleDb): TotpRepository {
  /** A pending authenticator's secret has no use once removed: its row goes. Resolves how many. */
  const dropPending = async (where: SQL | undefined) =>
    (
      await db
        .delete(mfaTotp)
        .where(and(where, isNull(mfaTotp.confirmedAt)))
        .returning({ id: mfaTotp.id })
    ).length;
  /** A confirmed one stays, soft-deleted, as the ledger keeps removed rows; its secret goes (migrations/0018). */
  const softDelete = async (where: SQL | undefined, at: Date) =>
    (
      await db
        .update(mfaTotp)
        .set({ secretSealed: ERASED, deletedAt: at, updatedAt: at })
        .where(where)
        .returning({ id: mfaTotp.id })
    ).length;
  return {
    async createPending({ id, tenantId, userId, secretSealed, now }) {
      // Deleted, not soft-deleted: an enrollment started again and again must not pile up rows holding secrets.
      const abandoned = db.$with("abandoned").as(
        db
          .delete(mfaTotp)
          .where(and(eq(mfaTotp.tenantId, tenantId), eq(mfaTotp.userId, userId), isNull(mfaTotp.confirmedAt)))
          .returning({ id: mfaTotp.id }),
      );
      await db
        .with(abandoned)
        .insert(mfaTotp)
        .values({ id, tenantId, userId, secretSealed, createdAt: now, updatedAt: now });
    },

    async find(tenantId, userId, id) {
      const [row] = await db
        .select()
        .from(mfaTotp)
        .where(and(liveTotp(tenantId, userId), eq(mfaTotp.id, id)))
        .limit(1);
      return row ? toTotp(row) : null;
    },

    async findConfirmed(tenantId, userId) {
      const [row] = await db.select().from(mfaTotp).where(confirmedLiveTotp(tenantId, userId)).limit(1);
      return row ? toTotp(row) : null;
    },

    async confirm(tenantId, userId, id, step, at) {
      try {
        const confirmed = db.$with("confirmed").as(
          db
            .update(mfaTotp)
            .set({ confirmedAt: at, lastUsedStep: step, lastUsedAt: at, updatedAt: at })
            .where(and(liveTotp(tenantId, userId), eq(mfaTotp.id, id), isNull(mfaTotp.confirmedAt)))
            .returning({ id: mfaTotp.id }),
        );
        // Enrollments started beside this one (concurrent starts each keep their own) end with it, secrets and all.
        const others = db.$with("others").as(
          db
            .delete(mfaTotp)
            .where(
              and(
                eq(mfaTotp.tenantId, tenantId),
                eq(mfaTotp.userId, userId),
                isNull(mfaTotp.confirmedAt),
                ne(mfaTotp.id, id),
                exists(db.select({ id: confirmed.id }).from(confirmed)),
              ),
            )
            .returning({ id: mfaTotp.id }),
        );
        const rows = await db.with(confirmed, others).select({ id: confirmed.id }).from(confirmed);
        return rows.length > 0;
      } catch (error) {
        // mfa_totp_user_confirmed_key: another authenticator of the user was confirmed first.
        if (sqlState(error) === UNIQUE_VIOLATION) return false;
        throw error;
      }
    },

    async useStep(tenantId, userId, id, step, at) {
      const rows = await db
        .update(mfaTotp)
        .set({ lastUsedStep: step, lastUsedAt: at, updatedAt: at })
        .where(
          and(
            confirmedLiveTotp(tenantId, userId),
            eq(mfaTotp.id, id),
            or(isNull(mfaTotp.lastUsedStep), lt(mfaTotp.lastUsedStep, step)),
          ),
        )
        .returning({ id: mfaTotp.id });
      return rows.length > 0;
    },

    async remove(tenantId, userId, id, at) {
      const one = and(liveTotp(tenantId, userId), eq(mfaTotp.id, id));
      return (await dropPending(one)) + (await softDelete(one, at)) > 0;
    },

    async removeAll(tenantId, userId, at) {
      const all = liveTotp(tenantId, userId);
      return (await dropPending(all)) + (await softDelete(all, at));
    },

    async purgeAbandoned(limit) {
      const abandoned = db
        .select({ id: mfaTotp.id })
        .from(mfaTotp)
        .where(
          and(
            isNull(mfaTotp.confirmedAt),
            // Removed, or left beside a confirmed authenticator of the user (concurrent starts before a release that ended them on confirmation).
            or(
              isNotNull(mfaTotp.deletedAt),
              exists(
                db
                  .select({ id: confirmedTotp.id })
                  .from(confirmedTotp)
                  .where(confirmedLiveTotp(mfaTotp.tenantId, mfaTotp.userId, confirmedTotp)),
              ),
            ),
          ),
        )
        .limit(limit);
      const rows = await db.delete(mfaTotp).where(inArray(mfaTotp.id, abandoned)).returning({ id: mfaTotp.id });
      return rows.length;
    },

    async page(afterId, limit) {
      const rows = await db
        .select()
        .from(mfaTotp)
        .where(and(isNull(mfaTotp.deletedAt), afterId === null ? undefined : gt(mfaTotp.id, afterId)))
        .orderBy(asc(mfaTotp.id))
        .limit(limit);
      return rows.map(toTotp);
    },

    async reseal(id, from, to) {
      // Compared on the sealed value itself: a code accepted meanwhile does not make it stale.
      const rows = await db
        .update(mfaTotp)
        .set({ secretSealed: to })
        .where(and(eq(mfaTotp.id, id), eq(mfaTotp.secretSealed, from), isNull(mfaTotp.deletedAt)))
        .returning({ id: mfaTotp.id });
      return rows.length > 0;
    },
  };
}

const ofUser = (tenantId: string, userId: string) =>
  and(eq(mfaRecoveryCodes.tenantId, tenantId), eq(mfaRecoveryCodes.userId, userId));

export function recoveryCodeRepository(db: DrizzleDb): RecoveryCodeRepository {
  return {
    async replaceAll(tenantId, userId, codeHashes, at) {
      // One statement: a failure leaves the previous generation in place.
      const previous = db
        .$with("previous")
        .as(
          db
            .delete(mfaRecoveryCodes)
            .where(ofUser(tenantId, userId))
            .returning({ codeHash: mfaRecoveryCodes.codeHash }),
        );
      await db
        .with(previous)
        .insert(mfaRecoveryCodes)
        .values(codeHashes.map((codeHash) => ({ tenantId, userId, codeHash, createdAt: at })));
    },

    async consume(tenantId, userId, codeHashes, at) {
      const rows = await db
        .update(mfaRecoveryCodes)
        .set({ usedAt: at })
        .where(
          and(
            ofUser(tenantId, userId),
            inArray(mfaRecoveryCodes.codeHash, [...codeHashes]),
            isNull(mfaRecoveryCodes.usedAt),
          ),
        )
        .returning({ codeHash: mfaRecoveryCodes.codeHash });
      return rows.length > 0;
    },

    async countUnused(tenantId, userId) {
      const [row] = await db
        .select({ n: count() })
        .from(mfaRecoveryCodes)
        .where(and(ofUser(tenantId, userId), isNull(mfaRecoveryCodes.usedAt)));
      return row?.n ?? 0;
    },

    async removeAll(tenantId, userId) {
      const rows = await db
        .delete(mfaRecoveryCodes)
        .where(ofUser(tenantId, userId))
        .returning({ codeHash: mfaRecoveryCodes.codeHash });
      return rows.length;
    },

    listUnsalted(limit) {
      return db
        .select({
          tenantId: mfaRecoveryCodes.tenantId,
          userId: mfaRecoveryCodes.userId,
          codeHash: mfaRecoveryCodes.codeHash,
        })
        .from(mfaRecoveryCodes)
        .where(unsaltedRecoveryCode)
        .limit(limit);
    },

    async rehash(tenantId, userId, from, to) {
      const rows = await db
        .update(mfaRecoveryCodes)
        .set({ codeHash: to })
        .where(and(ofUser(tenantId, userId), eq(mfaRecoveryCodes.codeHash, from)))
        .returning({ codeHash: mfaRecoveryCodes.codeHash });
      return rows.length > 0;
    },
  };
}
