import { and, desc, eq, gt, isNull, or } from "drizzle-orm";
import type { ApiKeyRecord, ApiKeyRepository } from "../../core/ports/database.js";
import { beforePosition, type DrizzleDb, exactInstant } from "./drizzle.js";
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
  /** Live keys that still work at `now`: a key past its expiry is not listed. */
  const usableOf = (tenantId: string, userId: string | undefined, now: Date) =>
    and(liveOf(tenantId, userId), or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, now)));
  return {
    async create({ now, ...key }) {
      const [row] = await db
        .insert(apiKeys)
        .values({ ...key, createdAt: now, updatedAt: now })
        .returning();
      if (!row) throw new Error("The API key insert returned no row.");
      return toApiKey(row);
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
