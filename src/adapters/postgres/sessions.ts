import { and, eq, isNull } from "drizzle-orm";
import type { SessionRecord, SessionRepository } from "../../core/ports/database.js";
import type { DrizzleDb } from "./drizzle.js";
import { sessions } from "./schema.js";

function toSession(row: typeof sessions.$inferSelect): SessionRecord {
  return {
    id: row.id,
    tenantId: row.tenantId,
    userId: row.userId,
    authMethod: row.authMethod,
    amr: row.amr,
    clientId: row.clientId,
    scope: row.scope,
    userAgent: row.userAgent,
    ip: row.ip,
    authTime: row.authTime,
    lastUsedAt: row.lastUsedAt,
    expiresAt: row.expiresAt,
    absoluteExpiresAt: row.absoluteExpiresAt,
    revokedAt: row.revokedAt,
    revokedReason: row.revokedReason,
    createdAt: row.createdAt,
  };
}

export function sessionRepository(db: DrizzleDb): SessionRepository {
  return {
    async create(session) {
      const [row] = await db
        .insert(sessions)
        .values({ ...session, createdAt: session.authTime, updatedAt: session.authTime })
        .returning();
      if (!row) throw new Error("The session insert returned no row.");
      return toSession(row);
    },

    async findById(tenantId, id) {
      const [row] = await db
        .select()
        .from(sessions)
        .where(and(eq(sessions.tenantId, tenantId), eq(sessions.id, id), isNull(sessions.deletedAt)))
        .limit(1);
      return row ? toSession(row) : null;
    },
  };
}
