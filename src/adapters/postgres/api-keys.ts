import { and, desc, eq, isNull } from "drizzle-orm";
import type { ApiKeyRecord, ApiKeyRepository } from "../../core/ports/database.js";
import type { DrizzleDb } from "./drizzle.js";
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

    async listLive(tenantId, userId) {
      const rows = await db
        .select()
        .from(apiKeys)
        .where(liveOf(tenantId, userId))
        .orderBy(desc(apiKeys.createdAt), desc(apiKeys.id));
      return rows.map(toApiKey);
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
