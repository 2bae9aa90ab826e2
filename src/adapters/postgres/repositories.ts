import { and, eq, isNull, sql } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import type { Database, Tenant, TenantRepository } from "../../core/ports/database.js";
import { type Schema, tenants } from "./schema.js";

/** Any drizzle Postgres database: node-postgres, neon-http or PGlite. */
export type DrizzleDb = PgDatabase<PgQueryResultHKT, Schema>;

const live = isNull(tenants.deletedAt);

function toTenant(row: typeof tenants.$inferSelect): Tenant {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    settings: row.settings,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

function tenantRepository(db: DrizzleDb): TenantRepository {
  return {
    async findBySlug(slug) {
      const [row] = await db
        .select()
        .from(tenants)
        .where(and(eq(tenants.slug, slug), live))
        .limit(1);
      return row ? toTenant(row) : null;
    },

    async createIfAbsent({ id, slug, name, now }) {
      // One statement, so it is atomic on every driver (neon-http has no
      // interactive transactions). The target names the partial unique index.
      const [row] = await db
        .insert(tenants)
        .values({ id, tenantId: id, slug, name, createdAt: now, updatedAt: now })
        .onConflictDoNothing({ target: tenants.slug, where: sql`deleted_at IS NULL` })
        .returning();
      return row ? toTenant(row) : null;
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

/** The repository layer over one drizzle database, whatever its driver. */
export function createPostgresDatabase(
  db: DrizzleDb,
  driver: Database["driver"],
  close: () => Promise<void>,
): Database {
  return {
    driver,
    tenants: tenantRepository(db),
    async ping() {
      await db.execute(sql`select 1`);
    },
    close,
  };
}
