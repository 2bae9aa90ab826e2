import { sql } from "drizzle-orm";
import { timestamp } from "drizzle-orm/pg-core";

/**
 * The ledger. Every table carries tenant_id (tenants: its own id), created_at,
 * updated_at and deleted_at (soft delete). Uniqueness that users see ignores
 * soft-deleted rows (partial unique indexes). Child rows reference their
 * parents through (tenant_id, id) so a row can never point into another tenant.
 */
export const timestamps = {
  createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  deletedAt: timestamp("deleted_at", { withTimezone: true, mode: "date" }),
};
export const at = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });
export const live = sql`deleted_at IS NULL`;
/**
 * What an erased NOT NULL column holds: no value at all, so nothing is left
 * to open, match or look up (the unique indexes cover live rows only).
 */
export const ERASED = "";
