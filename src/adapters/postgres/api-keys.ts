import { and, desc, eq, gt, isNull, or, sql } from "drizzle-orm";
import type { ApiKeyRecord, ApiKeyRepository } from "../../core/ports/database.js";
import { beforePosition, type DrizzleDb, exactInstant } from "./drizzle.js";
import { rowsOf } from "./errors.js";
import { apiKeys } from "./schema.js";

function toApiKey(row: typeof apiKeys.$inferSelect): ApiKeyRecord {
  return {
    id: row.id,
    tenantId: row.tenantId,
    userId: row.userId,
    name: row.name,
    prefix: row.prefix,
    keyHash: row.keyHash,
    scopes: row.scopes,
    expiresAt: row.expiresAt,
    lastUsedAt: row.lastUsedAt,
    revokedAt: row.revokedAt,
    createdAt: row.createdAt,
  };
}

export function apiKeyRepository(db: DrizzleDb): ApiKeyRepository {
  /** Live keys of the tenant; only the user's when `userId` is given. */
  const liveOf = (tenantId: string, userId?: string) =>
    and(
      eq(apiKeys.tenantId, tenantId),
      userId === undefined ? undefined : eq(apiKeys.userId, userId),
      isNull(apiKeys.revokedAt),
      isNull(apiKeys.deletedAt),
    );
  /** Live keys that still work at `now`: a key past its expiry neither lists nor counts towards the cap. */
  const usableOf = (tenantId: string, userId: string | undefined, now: Date) =>
    and(liveOf(tenantId, userId), or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, now)));
  return {
    async create({ now, ...key }, cap) {
      // The owner's usable keys are counted by the insert itself: a row only when they hold fewer than the cap.
      const owned =
        key.userId === null
          ? and(usableOf(key.tenantId, undefined, now), isNull(apiKeys.userId))
          : usableOf(key.tenantId, key.userId, now);
      const at = now.toISOString();
      const inserted = rowsOf<{ id: string }>(
        await db.execute(sql`INSERT INTO ${apiKeys}
            (id, tenant_id, user_id, name, prefix, key_hash, scopes, expires_at, created_at, updated_at)
          SELECT ${key.id}::uuid, ${key.tenantId}::uuid, ${key.userId}::uuid, ${key.name}::text, ${key.prefix}::text,
            ${key.keyHash}::text, ${JSON.stringify(key.scopes)}::jsonb, ${key.expiresAt?.toISOString() ?? null}::timestamptz,
            ${at}::timestamptz, ${at}::timestamptz
          WHERE (SELECT count(*) FROM ${apiKeys} WHERE ${owned}) < ${cap}
          RETURNING id`),
      );
      if (inserted.length === 0) return null;
      return { ...key, lastUsedAt: null, revokedAt: null, createdAt: now };
    },

    async findByHash(keyHash) {
      const [row] = await db
        .select()
        .from(apiKeys)
        .where(and(eq(apiKeys.keyHash, keyHash), isNull(apiKeys.deletedAt)))
        .limit(1);
      return row ? toApiKey(row) : null;
    },

    async listLive(tenantId, userId, now, after, limit) {
      const rows = await db
        .select({ row: apiKeys, at: exactInstant(apiKeys.createdAt) })
        .from(apiKeys)
        .where(
          and(
            usableOf(tenantId, userId, now),
            after ? beforePosition(apiKeys.createdAt, apiKeys.id, after) : undefined,
          ),
        )
        .orderBy(desc(apiKeys.createdAt), desc(apiKeys.id))
        .limit(limit);
      return rows.map(({ row, at }) => ({ key: toApiKey(row), position: { at, id: row.id } }));
    },

    async revoke(tenantId, userId, id, at) {
      const [row] = await db
        .update(apiKeys)
        .set({ revokedAt: at, updatedAt: at })
        .where(and(liveOf(tenantId, userId), eq(apiKeys.id, id)))
        .returning();
      return row ? toApiKey(row) : null;
    },

    async revokeAllOfOwner(tenantId, userId, at) {
      const rows = await db
        .update(apiKeys)
        .set({ revokedAt: at, updatedAt: at })
        .where(liveOf(tenantId, userId))
        .returning();
      return rows.map(toApiKey);
    },

    async recordUse(id, at) {
      await db.update(apiKeys).set({ lastUsedAt: at }).where(eq(apiKeys.id, id));
    },
  };
}
