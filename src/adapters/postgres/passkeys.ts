import { and, asc, eq, isNull, sql } from "drizzle-orm";
import type { PasskeyRecord, PasskeyRepository } from "../../core/ports/database.js";
import type { DrizzleDb } from "./drizzle.js";
import { rowsOf, sqlState, UNIQUE_VIOLATION } from "./errors.js";
import { passkeys } from "./schema.js";

function toPasskey(row: typeof passkeys.$inferSelect): PasskeyRecord {
  return {
    id: row.id,
    tenantId: row.tenantId,
    userId: row.userId,
    credentialId: row.credentialId,
    publicKey: row.publicKey,
    counter: row.counter,
    transports: row.transports,
    deviceType: row.deviceType,
    backedUp: row.backedUp,
    name: row.name,
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt,
  };
}

export function passkeyRepository(db: DrizzleDb): PasskeyRepository {
  const liveOfUser = (tenantId: string, userId: string) =>
    and(eq(passkeys.tenantId, tenantId), eq(passkeys.userId, userId), isNull(passkeys.deletedAt));
  return {
    async create({ now, ...passkey }, cap) {
      const at = now.toISOString();
      try {
        // The user's live passkeys are counted by the insert itself: a row only when they hold fewer than the cap.
        const inserted = rowsOf<{ id: string }>(
          await db.execute(sql`INSERT INTO ${passkeys} (id, tenant_id, user_id, credential_id, public_key, counter,
              transports, device_type, backed_up, name, created_at, updated_at)
            SELECT ${passkey.id}::uuid, ${passkey.tenantId}::uuid, ${passkey.userId}::uuid, ${passkey.credentialId}::text,
              ${passkey.publicKey}::text, ${passkey.counter}::bigint, ${JSON.stringify(passkey.transports)}::jsonb,
              ${passkey.deviceType}::text, ${passkey.backedUp}::boolean, ${passkey.name}::text,
              ${at}::timestamptz, ${at}::timestamptz
            WHERE (SELECT count(*) FROM ${passkeys} WHERE ${liveOfUser(passkey.tenantId, passkey.userId)}) < ${cap}
            RETURNING id`),
        );
        if (inserted.length === 0) return "full";
        return { ...passkey, createdAt: now, lastUsedAt: null };
      } catch (error) {
        if (sqlState(error) === UNIQUE_VIOLATION) return "duplicate";
        throw error;
      }
    },

    async listOfUser(tenantId, userId) {
      const rows = await db
        .select()
        .from(passkeys)
        .where(liveOfUser(tenantId, userId))
        .orderBy(asc(passkeys.createdAt), asc(passkeys.id));
      return rows.map(toPasskey);
    },

    async findByCredentialId(tenantId, credentialId) {
      const [row] = await db
        .select()
        .from(passkeys)
        .where(
          and(eq(passkeys.tenantId, tenantId), eq(passkeys.credentialId, credentialId), isNull(passkeys.deletedAt)),
        )
        .limit(1);
      return row ? toPasskey(row) : null;
    },

    async rename(tenantId, userId, id, name, at) {
      const [row] = await db
        .update(passkeys)
        .set({ name, updatedAt: at })
        .where(and(liveOfUser(tenantId, userId), eq(passkeys.id, id)))
        .returning();
      return row ? toPasskey(row) : null;
    },

    async remove(tenantId, userId, id, at) {
      const rows = await db
        .update(passkeys)
        .set({ deletedAt: at, updatedAt: at })
        .where(and(liveOfUser(tenantId, userId), eq(passkeys.id, id)))
        .returning({ id: passkeys.id });
      return rows.length > 0;
    },

    async removeAllOfUser(tenantId, userId, at) {
      const rows = await db
        .update(passkeys)
        .set({ deletedAt: at, updatedAt: at })
        .where(liveOfUser(tenantId, userId))
        .returning({ id: passkeys.id });
      return rows.length;
    },

    async recordUse(id, expectedCounter, counter, backedUp, at) {
      const rows = await db
        .update(passkeys)
        .set({ counter, backedUp, lastUsedAt: at, updatedAt: at })
        .where(and(eq(passkeys.id, id), eq(passkeys.counter, expectedCounter), isNull(passkeys.deletedAt)))
        .returning({ id: passkeys.id });
      return rows.length > 0;
    },
  };
}
