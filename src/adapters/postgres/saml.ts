import { and, asc, eq, gt, isNull, sql } from "drizzle-orm";
import type { SamlConnectionRecord, SamlConnectionRepository } from "../../core/ports/database.js";
import { byteOrder, type DrizzleDb } from "./drizzle.js";
import { samlConnections } from "./schema.js";

function toConnection(row: typeof samlConnections.$inferSelect): SamlConnectionRecord {
  return {
    id: row.id,
    tenantId: row.tenantId,
    name: row.name,
    idpMetadataXml: row.idpMetadataXml,
    idpEntityId: row.idpEntityId,
    allowIdpInitiated: row.allowIdpInitiated,
    trustEmail: row.trustEmail,
    attributeMapping: row.attributeMapping,
    enabled: row.enabled,
    spPrivateKeySealed: row.spPrivateKeySealed,
    spCertificate: row.spCertificate,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** The tenant's live connection of that name. */
const named = (tenantId: string, name: string) =>
  and(eq(samlConnections.tenantId, tenantId), eq(samlConnections.name, name), isNull(samlConnections.deletedAt));

/**
 * The row as `was` read it, in every column a write sets (updated_at included): a conditional
 * write compares it in its own statement, so a write landing after the read makes it match no row.
 */
const unchangedSince = (was: SamlConnectionRecord) =>
  and(
    eq(samlConnections.idpMetadataXml, was.idpMetadataXml),
    eq(samlConnections.allowIdpInitiated, was.allowIdpInitiated),
    eq(samlConnections.trustEmail, was.trustEmail),
    sql`${samlConnections.attributeMapping} = ${JSON.stringify(was.attributeMapping)}::jsonb`,
    eq(samlConnections.enabled, was.enabled),
    eq(samlConnections.updatedAt, was.updatedAt),
  );

/** What a write of a connection sets (the SP key pair and the creation time stay). */
const writable = (connection: Omit<SamlConnectionRecord, "createdAt" | "updatedAt">, now: Date) => ({
  idpMetadataXml: connection.idpMetadataXml,
  idpEntityId: connection.idpEntityId,
  allowIdpInitiated: connection.allowIdpInitiated,
  trustEmail: connection.trustEmail,
  attributeMapping: connection.attributeMapping,
  enabled: connection.enabled,
  updatedAt: now,
});

export function samlConnectionRepository(db: DrizzleDb): SamlConnectionRepository {
  return {
    async upsert({ now, ...connection }) {
      // One statement; the SP key pair of an existing connection is kept, so
      // IdPs that pinned its certificate keep working.
      const [row] = await db
        .insert(samlConnections)
        .values({ ...connection, createdAt: now, updatedAt: now })
        .onConflictDoUpdate({
          target: [samlConnections.tenantId, samlConnections.name],
          targetWhere: sql`deleted_at IS NULL`,
          set: writable(connection, now),
        })
        .returning();
      if (!row) throw new Error("The SAML connection upsert returned no row.");
      return toConnection(row);
    },

    async replaceIf({ now, ...connection }, was) {
      const [row] = await db
        .update(samlConnections)
        .set(writable(connection, now))
        .where(and(named(connection.tenantId, connection.name), unchangedSince(was)))
        .returning();
      return row ? toConnection(row) : null;
    },

    async find(tenantId, name) {
      const [row] = await db
        .select()
        .from(samlConnections)
        .where(
          and(
            eq(samlConnections.tenantId, tenantId),
            eq(samlConnections.name, name),
            isNull(samlConnections.deletedAt),
          ),
        )
        .limit(1);
      return row ? toConnection(row) : null;
    },

    async list(tenantId, afterName, limit) {
      const rows = await db
        .select()
        .from(samlConnections)
        .where(
          and(
            eq(samlConnections.tenantId, tenantId),
            isNull(samlConnections.deletedAt),
            afterName === null ? undefined : gt(byteOrder(samlConnections.name), afterName),
          ),
        )
        .orderBy(asc(byteOrder(samlConnections.name)))
        .limit(limit);
      return rows.map(toConnection);
    },

    async softDelete(tenantId, name, now, was) {
      const rows = await db
        .update(samlConnections)
        .set({ deletedAt: now, updatedAt: now })
        .where(and(named(tenantId, name), was && unchangedSince(was)))
        .returning({ id: samlConnections.id });
      return rows.length > 0;
    },

    async page(afterId, limit) {
      const rows = await db
        .select()
        .from(samlConnections)
        .where(and(isNull(samlConnections.deletedAt), afterId === null ? undefined : gt(samlConnections.id, afterId)))
        .orderBy(asc(samlConnections.id))
        .limit(limit);
      return rows.map(toConnection);
    },

    async reseal(id, from, to) {
      const rows = await db
        .update(samlConnections)
        .set({ spPrivateKeySealed: to })
        .where(
          and(
            eq(samlConnections.id, id),
            eq(samlConnections.spPrivateKeySealed, from),
            isNull(samlConnections.deletedAt),
          ),
        )
        .returning({ id: samlConnections.id });
      return rows.length > 0;
    },
  };
}
