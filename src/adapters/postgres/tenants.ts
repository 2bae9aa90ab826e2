import { decodeBase64, encodeBase64 } from "@oslojs/encoding";
import { and, asc, eq, getTableColumns, gt, isNull, sql } from "drizzle-orm";
import type { Tenant, TenantRepository } from "../../core/ports/database.js";
import { byteOrder, type DrizzleDb } from "./drizzle.js";
import { tenants } from "./schema.js";

const live = isNull(tenants.deletedAt);

/** Every column but the logo, which only the logo route reads (up to 256 KiB a tenant). */
const { logo: _logo, ...columns } = getTableColumns(tenants);

function toTenant(row: Omit<typeof tenants.$inferSelect, "logo">): Tenant {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    settings: row.settings,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

export function tenantRepository(db: DrizzleDb): TenantRepository {
  return {
    async findBySlug(slug) {
      const [row] = await db
        .select(columns)
        .from(tenants)
        .where(and(eq(tenants.slug, slug), live))
        .limit(1);
      return row ? toTenant(row) : null;
    },

    async createIfAbsent({ id, slug, name, settings = {}, now }) {
      // One statement, so it is atomic on every driver (neon-http has no
      // interactive transactions). The target names the partial unique index.
      const [row] = await db
        .insert(tenants)
        .values({ id, tenantId: id, slug, name, settings, createdAt: now, updatedAt: now })
        .onConflictDoNothing({ target: tenants.slug, where: sql`deleted_at IS NULL` })
        .returning(columns);
      return row ? toTenant(row) : null;
    },

    async page(afterId, limit) {
      const rows = await db
        .select(columns)
        .from(tenants)
        .where(afterId ? and(gt(tenants.id, afterId), live) : live)
        .orderBy(asc(tenants.id))
        .limit(limit);
      return rows.map(toTenant);
    },

    async listBySlug(afterSlug, limit) {
      const rows = await db
        .select(columns)
        .from(tenants)
        .where(afterSlug === null ? live : and(gt(byteOrder(tenants.slug), afterSlug), live))
        .orderBy(asc(byteOrder(tenants.slug)))
        .limit(limit);
      return rows.map(toTenant);
    },

    async mergeSettings(id, patch, now, logo, expected = {}) {
      // jsonb || merges in the statement itself, so concurrent changes of
      // different settings do not overwrite each other; the logo changes with its settings.
      // The expected values are compared in the same UPDATE: a concurrent change makes it match no row.
      const unchanged = Object.entries(expected).map(
        ([key, value]) =>
          sql`${tenants.settings} -> ${key}::text IS NOT DISTINCT FROM ${value === undefined ? null : JSON.stringify(value)}::jsonb`,
      );
      const [row] = await db
        .update(tenants)
        .set({
          settings: sql`${tenants.settings} || ${JSON.stringify(patch)}::jsonb`,
          updatedAt: now,
          ...(logo === undefined ? {} : { logo: logo && encodeBase64(logo) }),
        })
        .where(and(eq(tenants.id, id), live, ...unchanged))
        .returning(columns);
      return row ? toTenant(row) : null;
    },

    async findLogo(id) {
      const [row] = await db
        .select({ logo: tenants.logo })
        .from(tenants)
        .where(and(eq(tenants.id, id), live))
        .limit(1);
      return row?.logo ? decodeBase64(row.logo) : null;
    },

    async softDelete(id, now) {
      const rows = await db
        .update(tenants)
        .set({ deletedAt: now, updatedAt: now })
        .where(and(eq(tenants.id, id), live))
        .returning({ id: tenants.id });
      return rows.length > 0;
    },
  };
}
