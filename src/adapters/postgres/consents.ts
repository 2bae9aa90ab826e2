import { and, desc, eq, exists, isNull, sql } from "drizzle-orm";
import type { ConsentRecord, ConsentRepository } from "../../core/ports/database.js";
import type { DrizzleDb } from "./drizzle.js";
import { consents, oauthClients } from "./schema.js";

const toConsent = (row: typeof consents.$inferSelect): ConsentRecord => ({ ...row });

const ofUser = (tenantId: string, userId: string) => and(eq(consents.tenantId, tenantId), eq(consents.userId, userId));
const clientLive = and(
  eq(oauthClients.tenantId, consents.tenantId),
  eq(oauthClients.clientId, consents.clientId),
  isNull(oauthClients.deletedAt),
);

export function consentRepository(db: DrizzleDb): ConsentRepository {
  return {
    async find(tenantId, userId, clientId) {
      const [row] = await db
        .select({ consent: consents })
        .from(consents)
        .innerJoin(oauthClients, clientLive)
        .where(and(ofUser(tenantId, userId), eq(consents.clientId, clientId)))
        .limit(1);
      return row ? toConsent(row.consent) : null;
    },

    async grant(tenantId, userId, clientId, scopes, now) {
      const granted = [...new Set(scopes)].sort();
      const [row] = await db
        .insert(consents)
        .values({ tenantId, userId, clientId, scopes: granted, createdAt: now, updatedAt: now })
        .onConflictDoUpdate({
          target: [consents.tenantId, consents.userId, consents.clientId],
          // The union of what was granted before and now, sorted, each scope once.
          set: {
            scopes: sql`(SELECT jsonb_agg(DISTINCT s ORDER BY s) FROM jsonb_array_elements_text(${consents.scopes} || excluded.scopes) AS s)`,
            updatedAt: now,
          },
        })
        .returning();
      if (!row) throw new Error("The consent upsert returned no row.");
      return toConsent(row);
    },

    async listWithClientNames(tenantId, userId) {
      const rows = await db
        .select({ consent: consents, clientName: oauthClients.name })
        .from(consents)
        .innerJoin(oauthClients, clientLive)
        .where(ofUser(tenantId, userId))
        .orderBy(desc(consents.updatedAt), desc(consents.clientId));
      return rows.map((row) => ({ ...toConsent(row.consent), clientName: row.clientName }));
    },

    async revoke(tenantId, userId, clientId) {
      const rows = await db
        .delete(consents)
        .where(
          and(
            ofUser(tenantId, userId),
            eq(consents.clientId, clientId),
            exists(db.select({ live: sql`1` }).from(oauthClients).where(clientLive)),
          ),
        )
        .returning({ clientId: consents.clientId });
      return rows.length > 0;
    },
  };
}
