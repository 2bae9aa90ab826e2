import { type AnyColumn, and, eq, inArray, isNull, type SQL, sql } from "drizzle-orm";
import type { DrizzleDb } from "./drizzle.js";
import {
  accountTokens,
  apiKeys,
  consents,
  mfaRecoveryCodes,
  mfaTotp,
  passkeys,
  sessions,
  userIdentities,
  users,
} from "./schema.js";

/**
 * What an erased NOT NULL column holds: no value at all, so nothing is left
 * to open, match or look up (the unique indexes cover live rows only).
 * migrations/0016 erased the rows deleted before, the same way.
 */
const ERASED = "";

/**
 * Deletes a live user and erases the person in the same statement (one
 * statement: neon-http has no interactive transactions). The user's address,
 * its blind index, name and password hash go; so do every identity's
 * subject, address index and upstream profile, TOTP secrets, passkeys' credential
 * ids, public keys and names, the sessions' address and user agent, API
 * keys' names; recovery
 * codes, consents and mailed tokens are deleted. The rows keep their ids,
 * tenant, timestamps and deleted_at: the ledger still answers "deleted" and
 * the audit trail still names the id. Resolves whether a live user was deleted.
 */
export async function eraseUser(db: DrizzleDb, tenantId: string, id: string, at: Date): Promise<boolean> {
  const erased = db.$with("erased").as(
    db
      .update(users)
      .set({
        emailIndex: ERASED,
        emailSealed: ERASED,
        nameSealed: null,
        passwordHash: null,
        deletedAt: at,
        updatedAt: at,
      })
      .where(and(eq(users.tenantId, tenantId), eq(users.id, id), isNull(users.deletedAt)))
      .returning({ id: users.id }),
  );
  // Only once the user row was deleted here: a second deletion changes nothing.
  const ofErased = (table: { tenantId: AnyColumn; userId: AnyColumn }) =>
    and(eq(table.tenantId, tenantId), inArray(table.userId, db.select({ id: erased.id }).from(erased)));
  // Rows removed earlier (an unlinked identity, a removed factor) keep when they were removed.
  const removed = (deletedAt: AnyColumn): SQL<Date> => sql`coalesce(${deletedAt}, ${at})`;

  const identities = db.$with("identities").as(
    db
      .update(userIdentities)
      .set({
        subject: ERASED,
        emailIndex: null,
        profileSealed: null,
        deletedAt: removed(userIdentities.deletedAt),
        updatedAt: at,
      })
      .where(ofErased(userIdentities))
      .returning({ id: userIdentities.id }),
  );
  const totp = db.$with("totp").as(
    db
      .update(mfaTotp)
      .set({ secretSealed: ERASED, deletedAt: removed(mfaTotp.deletedAt), updatedAt: at })
      .where(ofErased(mfaTotp))
      .returning({ id: mfaTotp.id }),
  );
  const keys = db.$with("keys").as(
    db
      .update(passkeys)
      .set({
        credentialId: ERASED,
        publicKey: ERASED,
        name: null,
        deletedAt: removed(passkeys.deletedAt),
        updatedAt: at,
      })
      .where(ofErased(passkeys))
      .returning({ id: passkeys.id }),
  );
  const logins = db
    .$with("logins")
    .as(
      db.update(sessions).set({ ip: null, userAgent: null }).where(ofErased(sessions)).returning({ id: sessions.id }),
    );
  // A key's name is the person's own words; the key itself is revoked with the user's other credentials.
  const keyNames = db
    .$with("key_names")
    .as(db.update(apiKeys).set({ name: ERASED }).where(ofErased(apiKeys)).returning({ id: apiKeys.id }));
  const codes = db
    .$with("codes")
    .as(db.delete(mfaRecoveryCodes).where(ofErased(mfaRecoveryCodes)).returning({ userId: mfaRecoveryCodes.userId }));
  const granted = db
    .$with("granted")
    .as(db.delete(consents).where(ofErased(consents)).returning({ userId: consents.userId }));
  const mailed = db
    .$with("mailed")
    .as(db.delete(accountTokens).where(ofErased(accountTokens)).returning({ userId: accountTokens.userId }));
  // Postgres runs every data-modifying WITH once, to completion, whether the outer query reads it or not.
  const rows = await db
    .with(erased, identities, totp, keys, logins, keyNames, codes, granted, mailed)
    .select({ id: erased.id })
    .from(erased);
  return rows.length > 0;
}
