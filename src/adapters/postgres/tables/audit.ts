import { index, inet, jsonb, pgTable, text, uuid } from "drizzle-orm/pg-core";
import type { AuditActorType } from "../../../core/ports/database.js";
import { tenants } from "./accounts.js";
import { at } from "./columns.js";

/**
 * The audit trail: append-only, so unlike the other tables it has no
 * updated_at or deleted_at; rows leave only through retention. Kept compact
 * (logins write here): ids as uuid, the address as inet, details small.
 */
export const auditEvents = pgTable(
  "audit_events",
  {
    id: uuid("id").primaryKey(),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    at: at("at").notNull(),
    action: text("action").notNull(),
    actorType: text("actor_type").$type<AuditActorType>().notNull(),
    actorId: text("actor_id"),
    targetType: text("target_type"),
    targetId: text("target_id"),
    ip: inet("ip"),
    requestId: text("request_id"),
    details: jsonb("details").$type<Record<string, unknown>>().notNull().default({}),
  },
  (t) => [index("audit_events_tenant_at_idx").on(t.tenantId, t.at, t.id), index("audit_events_at_idx").on(t.at)],
);
