import { and, asc, desc, eq, exists, gt, inArray, isNotNull, isNull, sql } from "drizzle-orm";
import type { SecondFactorKind, UserAsRead, UserRecord, UserRepository } from "../../core/ports/database.js";
import { asRead, beforePosition, builtOnce, type DrizzleDb, exactInstant } from "./drizzle.js";
import { sqlState, UNIQUE_VIOLATION } from "./errors.js";
import { mfaTotp, passkeys, users } from "./schema.js";
import { eraseDeletedUnerased, eraseUser } from "./user-erasure.js";

const live = isNull(users.deletedAt);
/** Strictly later than before: updated_at is the user's version (UserVersions), even within one ms. */
const nextVersion = (at: Date) => sql`greatest(${at}, ${users.updatedAt} + interval '1 millisecond')`;

/**
 * A conditional write's guard: the user's version (updated_at, raised by every
 * change an admin sees but a login) and last login as read. Not the sealed
 * columns, which re-encryption rewrites without changing what is shown.
 */
const unchanged = (was: UserAsRead | undefined) =>
  was && asRead({ updatedAt: users.updatedAt, lastLoginAt: users.lastLoginAt }, was);

function toUser(row: typeof users.$inferSelect): UserRecord {
  return {
    id: row.id,
    tenantId: row.tenantId,
    emailIndex: row.emailIndex,
    emailSealed: row.emailSealed,
    nameSealed: row.nameSealed,
    emailVerified: row.emailVerified,
    passwordHash: row.passwordHash,
    scopes: row.scopes,
    lastLoginAt: row.lastLoginAt,
    disabledAt: row.disabledAt,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

const { placeholder } = sql;

export function userRepository(db: DrizzleDb): UserRepository {
  // The login's lookups, each built once (builtOnce).
  const byId = builtOnce(() =>
    db
      .select()
      .from(users)
      .where(and(eq(users.tenantId, placeholder("tenantId")), eq(users.id, placeholder("id")), live))
      .limit(1),
  );
  const byEmailIndexes = (count: number) =>
    builtOnce(() => {
      const indexes = Array.from({ length: count }, (_, i) => placeholder(`index${i}`));
      return (
        db
          .select()
          .from(users)
          .where(and(eq(users.tenantId, placeholder("tenantId")), inArray(users.emailIndex, indexes), live))
          // Several rows match only when an earlier rule made two accounts of what is now one address.
          .orderBy(sql`array_position(array[${sql.join(indexes, sql`, `)}]::text[], ${users.emailIndex})`)
          .limit(1)
      );
    });
  /** By how many indexes are looked up: one per configured key version, so a handful at most. */
  const byEmailIndex = new Map<number, ReturnType<typeof byEmailIndexes>>();
  const owner = { tenantId: placeholder("tenantId"), userId: placeholder("userId") };
  // Two EXISTS in one statement: one round trip (one subrequest on neon-http), no factor rows read.
  const factorKinds = builtOnce(() =>
    db
      .select({
        totp: exists(
          db
            .select({ one: sql`1` })
            .from(mfaTotp)
            .where(
              and(
                eq(mfaTotp.tenantId, owner.tenantId),
                eq(mfaTotp.userId, owner.userId),
                isNull(mfaTotp.deletedAt),
                isNotNull(mfaTotp.confirmedAt),
              ),
            ),
        ).mapWith(Boolean),
        passkey: exists(
          db
            .select({ one: sql`1` })
            .from(passkeys)
            .where(
              and(eq(passkeys.tenantId, owner.tenantId), eq(passkeys.userId, owner.userId), isNull(passkeys.deletedAt)),
            ),
        ).mapWith(Boolean),
      })
      .from(users)
      .where(and(eq(users.tenantId, owner.tenantId), eq(users.id, owner.userId))),
  );

  return {
    async createIfAbsent({ now, ...user }) {
      const [row] = await db
        .insert(users)
        .values({ ...user, createdAt: now, updatedAt: now })
        .onConflictDoNothing({ target: [users.tenantId, users.emailIndex], where: sql`deleted_at IS NULL` })
        .returning();
      return row ? toUser(row) : null;
    },

    async findByEmailIndex(tenantId, indexes) {
      if (indexes.length === 0) return null;
      let statement = byEmailIndex.get(indexes.length);
      if (!statement) {
        statement = byEmailIndexes(indexes.length);
        byEmailIndex.set(indexes.length, statement);
      }
      const values: Record<string, string> = { tenantId };
      for (const [i, index] of indexes.entries()) values[`index${i}`] = index;
      const [row] = await statement().execute(values);
      return row ? toUser(row) : null;
    },

    async findById(tenantId, id) {
      const [row] = await byId().execute({ tenantId, id });
      return row ? toUser(row) : null;
    },

    async secondFactorKinds(tenantId, userId) {
      const [row] = await factorKinds().execute({ tenantId, userId });
      const kinds: SecondFactorKind[] = [];
      if (row?.totp) kinds.push("totp");
      if (row?.passkey) kinds.push("passkey");
      return kinds;
    },

    async replacePasswordHash(tenantId, id, passwordHash, at) {
      await db
        .update(users)
        .set({ passwordHash, updatedAt: at })
        .where(and(eq(users.tenantId, tenantId), eq(users.id, id), live));
    },

    async upgradePasswordHash(tenantId, id, from, to) {
      // Not updated_at: a remade hash changes nothing a token carries (UserVersions).
      const rows = await db
        .update(users)
        .set({ passwordHash: to })
        .where(and(eq(users.tenantId, tenantId), eq(users.id, id), eq(users.passwordHash, from), live))
        .returning({ id: users.id });
      return rows.length > 0;
    },

    async replaceEmail(tenantId, id, email, at) {
      try {
        const [row] = await db
          .update(users)
          .set({ ...email, emailVerified: true, updatedAt: nextVersion(at) })
          .where(and(eq(users.tenantId, tenantId), eq(users.id, id), live))
          .returning();
        return row ? toUser(row) : null;
      } catch (error) {
        if (sqlState(error) === UNIQUE_VIOLATION) return "taken";
        throw error;
      }
    },

    async update(tenantId, id, changes, at, was) {
      const [row] = await db
        .update(users)
        .set({
          ...(changes.scopes !== undefined ? { scopes: changes.scopes } : {}),
          ...(changes.emailVerified !== undefined ? { emailVerified: changes.emailVerified } : {}),
          ...(changes.nameSealed !== undefined ? { nameSealed: changes.nameSealed } : {}),
          // Disabling again keeps the first time it was disabled.
          ...(changes.disabled === true ? { disabledAt: sql`coalesce(${users.disabledAt}, ${at})` } : {}),
          ...(changes.disabled === false ? { disabledAt: null } : {}),
          updatedAt: nextVersion(at),
        })
        .where(and(eq(users.tenantId, tenantId), eq(users.id, id), live, unchanged(was)))
        .returning();
      return row ? toUser(row) : null;
    },

    softDelete: (tenantId, id, at, was) => eraseUser(db, tenantId, id, at, unchanged(was)),

    eraseDeletedUnerased: (limit, at) => eraseDeletedUnerased(db, limit, at),

    async listLive(tenantId, after, limit) {
      const rows = await db
        .select({
          row: users,
          // The full microseconds, so a position never falls between two rows (a Date keeps milliseconds).
          createdAt: exactInstant(users.createdAt),
        })
        .from(users)
        .where(
          and(
            eq(users.tenantId, tenantId),
            live,
            after ? beforePosition(users.createdAt, users.id, { at: after.createdAt, id: after.id }) : undefined,
          ),
        )
        .orderBy(desc(users.createdAt), desc(users.id))
        .limit(limit);
      return rows.map(({ row, createdAt }) => ({ user: toUser(row), position: { createdAt, id: row.id } }));
    },

    async page(afterId, limit) {
      const rows = await db
        .select()
        .from(users)
        // Live rows only: a deleted user's row holds nothing sealed any more (eraseUser).
        .where(and(live, afterId ? gt(users.id, afterId) : undefined))
        .orderBy(asc(users.id))
        .limit(limit);
      return rows.map(toUser);
    },

    async reseal(user, sealed) {
      // Only if untouched since it was read, so a concurrent change (or erasure) is not overwritten.
      try {
        const rows = await db
          .update(users)
          .set(sealed)
          .where(
            and(eq(users.tenantId, user.tenantId), eq(users.id, user.id), eq(users.updatedAt, user.updatedAt), live),
          )
          .returning({ id: users.id });
        return rows.length > 0;
      } catch (error) {
        if (sqlState(error) === UNIQUE_VIOLATION) return "taken";
        throw error;
      }
    },
  };
}
