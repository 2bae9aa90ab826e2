import { and, desc, eq, isNull, type SQL, sql } from "drizzle-orm";
import type { ClientRecord, ClientRepository } from "../../core/ports/database.js";
import type { DrizzleDb } from "./drizzle.js";
import { oauthClients } from "./schema.js";

function toClient(row: typeof oauthClients.$inferSelect): ClientRecord {
  return {
    tenantId: row.tenantId,
    clientId: row.clientId,
    name: row.name,
    type: row.type,
    redirectUris: row.redirectUris,
    postLogoutRedirectUris: row.postLogoutRedirectUris,
    grantTypes: row.grantTypes,
    scopes: row.scopes,
    firstParty: row.firstParty,
    accessTokenTtl: row.accessTokenTtl,
    refreshTokenTtl: row.refreshTokenTtl,
    secretHash: row.secretHash,
    previousSecretHash: row.previousSecretHash,
    previousSecretExpiresAt: row.previousSecretExpiresAt,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

const live = (tenantId: string, clientId: string): SQL | undefined =>
  and(eq(oauthClients.tenantId, tenantId), eq(oauthClients.clientId, clientId), isNull(oauthClients.deletedAt));

export function clientRepository(db: DrizzleDb): ClientRepository {
  return {
    async create({ now, ...client }) {
      const [row] = await db
        .insert(oauthClients)
        .values({ ...client, createdAt: now, updatedAt: now })
        .returning();
      if (!row) throw new Error("The client insert returned no row.");
      return toClient(row);
    },

    async find(tenantId, clientId) {
      const [row] = await db.select().from(oauthClients).where(live(tenantId, clientId)).limit(1);
      return row ? toClient(row) : null;
    },

    async list(tenantId) {
      const rows = await db
        .select()
        .from(oauthClients)
        .where(and(eq(oauthClients.tenantId, tenantId), isNull(oauthClients.deletedAt)))
        .orderBy(desc(oauthClients.createdAt), desc(oauthClients.clientId));
      return rows.map(toClient);
    },

    async update(tenantId, clientId, changes, now, retype) {
      const typed = retype && {
        type: retype.to,
        secretHash: retype.secretHash,
        previousSecretHash: null,
        previousSecretExpiresAt: null,
      };
      const [row] = await db
        .update(oauthClients)
        .set({ ...changes, ...typed, updatedAt: now })
        .where(retype ? and(live(tenantId, clientId), eq(oauthClients.type, retype.from)) : live(tenantId, clientId))
        .returning();
      return row ? toClient(row) : null;
    },

    async rotateSecret(tenantId, clientId, { secretHash, previousExpiresAt, now }) {
      const [row] = await db
        .update(oauthClients)
        .set({
          // The right-hand side reads the row as it was, so the old current secret becomes the previous one.
          previousSecretHash: sql`${oauthClients.secretHash}`,
          previousSecretExpiresAt: previousExpiresAt,
          secretHash,
          updatedAt: now,
        })
        .where(and(live(tenantId, clientId), eq(oauthClients.type, "confidential")))
        .returning();
      return row ? toClient(row) : null;
    },

    async softDelete(tenantId, clientId, now) {
      const rows = await db
        .update(oauthClients)
        .set({ deletedAt: now, updatedAt: now })
        .where(live(tenantId, clientId))
        .returning({ clientId: oauthClients.clientId });
      return rows.length > 0;
    },
  };
}
