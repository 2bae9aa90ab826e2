import { type AnyColumn, and, eq, exists, inArray, isNull, type SQL, sql } from "drizzle-orm";
import type { DrizzleDb } from "./drizzle.js";
import {
  accountTokens,
  apiKeys,
  consents,
  deletedUnerased,
  mfaRecoveryCodes,
  mfaTotp,
  passkeys,
  sessions,
  userIdentities,
  users,
} from "./schema.js";
import { ERASED } from "./tables/columns.js";

// migrations/0016 erased the rows deleted before this the same way (ERASED).

type UserOwned = { tenantId: AnyColumn; userId: AnyColumn };

/**
 * Erases the users `which` selects, in one statement (neon-http has no
 * interactive transactions). Their address, its blind index, name and
 * password hash go; so do every identity's subject, address index and
 * upstream profile, TOTP secrets, passkeys' credential ids, public keys and
 * names, the sessions' address and user agent, API keys' names; recovery
 * codes, consents and mailed tokens are deleted. The rows keep their ids,
 * tenant, timestamps and deleted_at (`deletedAt` sets it on live users): the
 * ledger still answers "deleted" and the audit trail still names the id.
 * Resolves the erased users' ids.
 */
async function erase(db: DrizzleDb, which: SQL | undefined, at: Date, deletedAt?: Date): Promise<string[]> {
  const erased = db.$with("erased").as(
    db
      .update(users)
      .set({
        emailIndex: ERASED,
        emailSealed: ERASED,
        nameSealed: null,
        passwordHash: null,
        ...(deletedAt ? { deletedAt } : {}),
        updatedAt: at,
      })
      .where(which)
      .returning({ tenantId: users.tenantId, id: users.id, deletedAt: users.deletedAt }),
  );
  // Only the rows of the users erased here.
  const ofErased = (table: UserOwned) => and(eq(table.tenantId, erased.tenantId), eq(table.userId, erased.id));
  const ownedByErased = (table: UserOwned) =>
    exists(
      db
        .select({ one: sql`1` })
        .from(erased)
        .where(and(eq(erased.tenantId, table.tenantId), eq(erased.id, table.userId))),
    );
  // Rows removed earlier (an unlinked identity, a removed factor) keep when they were removed; the rest, the user's.
  const removed = (table: UserOwned & { deletedAt: AnyColumn }): SQL<Date> =>
    sql`coalesce(${table.deletedAt}, ${erased.deletedAt})`;

  const identities = db.$with("identities").as(
    db
      .update(userIdentities)
      .set({
        subject: ERASED,
        emailIndex: null,
        profileSealed: null,
        deletedAt: removed(userIdentities),
        updatedAt: at,
      })
      .from(erased)
      .where(ofErased(userIdentities))
      .returning({ id: userIdentities.id }),
  );
  const totp = db.$with("totp").as(
    db
      .update(mfaTotp)
      .set({ secretSealed: ERASED, deletedAt: removed(mfaTotp), updatedAt: at })
      .from(erased)
      .where(ofErased(mfaTotp))
      .returning({ id: mfaTotp.id }),
  );
  const keys = db.$with("keys").as(
    db
      .update(passkeys)
      .set({ credentialId: ERASED, publicKey: ERASED, name: null, deletedAt: removed(passkeys), updatedAt: at })
      .from(erased)
      .where(ofErased(passkeys))
      .returning({ id: passkeys.id }),
  );
  // A deletion ends the sessions and keys itself (Redis first, then the ledger); a sweep finds a user an
  // earlier release deleted, whose credentials may have outlived a failure: the ledger ends them here.
  const endedIfSwept = (table: typeof sessions | typeof apiKeys, reason?: string) => {
    if (deletedAt) return {};
    const ended = { revokedAt: sql<Date>`coalesce(${table.revokedAt}, ${at.toISOString()}::timestamptz)` };
    return reason === undefined
      ? ended
      : { ...ended, revokedReason: sql<string>`coalesce(${sessions.revokedReason}, ${reason})` };
  };
  const logins = db.$with("logins").as(
    db
      .update(sessions)
      .set({ ip: null, userAgent: null, ...endedIfSwept(sessions, "user_ended") })
      .from(erased)
      .where(ofErased(sessions))
      .returning({ id: sessions.id }),
  );
  // A key's name is the person's own words; the key itself is revoked with the user's other credentials.
  const keyNames = db.$with("key_names").as(
    db
      .update(apiKeys)
      .set({ name: ERASED, ...endedIfSwept(apiKeys) })
      .from(erased)
      .where(ofErased(apiKeys))
      .returning({ id: apiKeys.id }),
  );
  const codes = db
    .$with("codes")
    .as(
      db.delete(mfaRecoveryCodes).where(ownedByErased(mfaRecoveryCodes)).returning({ userId: mfaRecoveryCodes.userId }),
    );
  const granted = db
    .$with("granted")
    .as(db.delete(consents).where(ownedByErased(consents)).returning({ userId: consents.userId }));
  const mailed = db
    .$with("mailed")
    .as(db.delete(accountTokens).where(ownedByErased(accountTokens)).returning({ userId: accountTokens.userId }));
  // Postgres runs every data-modifying WITH once, to completion, whether the outer query reads it or not.
  const rows = await db
    .with(erased, identities, totp, keys, logins, keyNames, codes, granted, mailed)
    .select({ id: erased.id })
    .from(erased);
  return rows.map((row) => row.id);
}

/**
 * Deletes a live user and erases the person (erase), only while `guard` holds
 * on the row (a conditional delete: nothing is erased when it misses);
 * resolves whether a live user was deleted.
 */
export async function eraseUser(db: DrizzleDb, tenantId: string, id: string, at: Date, guard?: SQL): Promise<boolean> {
  const which = and(eq(users.tenantId, tenantId), eq(users.id, id), isNull(users.deletedAt), guard);
  return (await erase(db, which, at, at)).length > 0;
}

/**
 * Erases up to `limit` users that are deleted but not erased: deleted by a
 * release before erasure (during a rolling upgrade, after migration 0016, or
 * after a rollback). Each keeps its own deleted_at; once erased, a row no
 * longer matches. Rows another sweep holds are skipped, not waited for.
 */
export async function eraseDeletedUnerased(db: DrizzleDb, limit: number, at: Date): Promise<number> {
  const batch = db.select({ id: users.id }).from(users).where(deletedUnerased).limit(limit).for("update", {
    skipLocked: true,
  });
  // Checked again on the row it updates: a concurrent sweep's erasure is not counted twice.
  return (await erase(db, and(inArray(users.id, batch), deletedUnerased), at)).length;
}
