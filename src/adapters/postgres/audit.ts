import { and, desc, eq, inArray, lt, or, type SQL } from "drizzle-orm";
import type { AuditEventRecord, AuditRepository } from "../../core/ports/database.js";
import type { DrizzleDb } from "./drizzle.js";
import { auditEvents } from "./schema.js";

const PURGE_BATCH = 5_000;

function toEvent(row: typeof auditEvents.$inferSelect): AuditEventRecord {
  return { ...row, details: row.details ?? {} };
}

export function auditRepository(db: DrizzleDb): AuditRepository {
  return {
    async append(events) {
      if (events.length > 0) await db.insert(auditEvents).values(events);
    },

    async list(tenantId, filter, cursor, limit) {
      const where: (SQL | undefined)[] = [eq(auditEvents.tenantId, tenantId)];
      if (filter.action) where.push(eq(auditEvents.action, filter.action));
      if (filter.actorId) where.push(eq(auditEvents.actorId, filter.actorId));
      if (filter.targetId) where.push(eq(auditEvents.targetId, filter.targetId));
      if (cursor) {
        where.push(
          or(lt(auditEvents.at, cursor.at), and(eq(auditEvents.at, cursor.at), lt(auditEvents.id, cursor.id))),
        );
      }
      const rows = await db
        .select()
        .from(auditEvents)
        .where(and(...where))
        .orderBy(desc(auditEvents.at), desc(auditEvents.id))
        .limit(limit);
      return rows.map(toEvent);
    },

    async purgeBefore(before) {
      // In batches, so one run never holds a huge delete (or its returned ids) at once.
      let total = 0;
      for (;;) {
        const batch = db
          .select({ id: auditEvents.id })
          .from(auditEvents)
          .where(lt(auditEvents.at, before))
          .limit(PURGE_BATCH);
        const rows = await db
          .delete(auditEvents)
          .where(inArray(auditEvents.id, batch))
          .returning({ id: auditEvents.id });
        total += rows.length;
        if (rows.length < PURGE_BATCH) return total;
      }
    },
  };
}
