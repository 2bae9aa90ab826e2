import { and, eq, isNull } from "drizzle-orm";
import type { SessionRecord, SessionRepository } from "../../core/ports/database.js";
import type { DrizzleDb } from "./drizzle.js";
import { sessions, users } from "./schema.js";

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
      // One round trip: a session starts at a login, so the same statement
      // stamps the user's last login.
      const login = db.$with("login").as(
        db
          .update(users)
          .set({ lastLoginAt: session.authTime, updatedAt: session.authTime })
          .where(and(eq(users.tenantId, session.tenantId), eq(users.id, session.userId)))
          .returning({ id: users.id }),
      );
      await db
        .with(login)
        .insert(sessions)
        .values({ ...session, createdAt: session.authTime, updatedAt: session.authTime });
      return { ...session, revokedAt: null, revokedReason: null, createdAt: session.authTime };
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
