import { and, desc, eq, getTableColumns, isNull, type SQL, sql } from "drizzle-orm";
import type { ClientRecord, ClientRepository, ListingPosition } from "../../core/ports/database.js";
import { asRead, byteOrder, type DrizzleDb, exactInstant } from "./drizzle.js";
import { rowsOf } from "./errors.js";
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

const columns = getTableColumns(oauthClients);
/** A conditional write's guard: the client still as `was` read it, secrets and updated_at included. */
const unchanged = (was: ClientRecord | undefined) => was && asRead(columns, was);

const liveOf = (tenantId: string): SQL | undefined =>
  and(eq(oauthClients.tenantId, tenantId), isNull(oauthClients.deletedAt));
const live = (tenantId: string, clientId: string): SQL | undefined =>
  and(liveOf(tenantId), eq(oauthClients.clientId, clientId));

/**
 * Clients after a place of the listing (created_at, then client_id by bytes,
 * both descending). Spelled out rather than a row comparison: the id is text,
 * compared under "C" so every driver and database collation pages alike.
 */
const beforeClient = (position: ListingPosition): SQL =>
  sql`(${oauthClients.createdAt} < ${position.at}::timestamptz OR (${oauthClients.createdAt} = ${position.at}::timestamptz
    AND ${byteOrder(oauthClients.clientId)} < ${position.id}::text COLLATE "C"))`;

export function clientRepository(db: DrizzleDb): ClientRepository {
  return {
    async create({ now, ...client }, cap) {
      // The tenant's live clients are counted by the insert itself: a row only when it holds fewer than the cap.
      const at = now.toISOString();
      const json = (values: string[]) => JSON.stringify(values);
      const inserted = rowsOf<{ client_id: string }>(
        await db.execute(sql`INSERT INTO ${oauthClients}
            (client_id, tenant_id, name, type, secret_hash, redirect_uris, post_logout_redirect_uris, grant_types,
             scopes, first_party, access_token_ttl, refresh_token_ttl, created_at, updated_at)
          SELECT ${client.clientId}::text, ${client.tenantId}::uuid, ${client.name}::text, ${client.type}::text,
            ${client.secretHash}::text, ${json(client.redirectUris)}::jsonb, ${json(client.postLogoutRedirectUris)}::jsonb,
            ${json(client.grantTypes)}::jsonb, ${json(client.scopes)}::jsonb, ${client.firstParty}::boolean,
            ${client.accessTokenTtl}::integer, ${client.refreshTokenTtl}::integer, ${at}::timestamptz, ${at}::timestamptz
          WHERE (SELECT count(*) FROM ${oauthClients} WHERE ${liveOf(client.tenantId)}) < ${cap}
          RETURNING client_id`),
      );
      if (inserted.length === 0) return null;
      return { ...client, previousSecretHash: null, previousSecretExpiresAt: null, createdAt: now, updatedAt: now };
    },

    async find(tenantId, clientId) {
      const [row] = await db.select().from(oauthClients).where(live(tenantId, clientId)).limit(1);
      return row ? toClient(row) : null;
    },

    async list(tenantId, after, limit) {
      const rows = await db
        .select({ row: oauthClients, at: exactInstant(oauthClients.createdAt) })
        .from(oauthClients)
        .where(and(liveOf(tenantId), after ? beforeClient(after) : undefined))
        .orderBy(desc(oauthClients.createdAt), desc(byteOrder(oauthClients.clientId)))
        .limit(limit);
      return rows.map(({ row, at }) => ({ client: toClient(row), position: { at, id: row.clientId } }));
    },

    async update(tenantId, clientId, changes, now, retype, was) {
      const typed = retype && {
        type: retype.to,
        secretHash: retype.secretHash,
        previousSecretHash: null,
        previousSecretExpiresAt: null,
      };
      const [row] = await db
        .update(oauthClients)
        .set({ ...changes, ...typed, updatedAt: now })
        .where(and(live(tenantId, clientId), retype && eq(oauthClients.type, retype.from), unchanged(was)))
        .returning();
      return row ? toClient(row) : null;
    },

    async rotateSecret(tenantId, clientId, { secretHash, previousExpiresAt, now }, was) {
      const [row] = await db
        .update(oauthClients)
        .set({
          // The right-hand side reads the row as it was, so the old current secret becomes the previous one.
          previousSecretHash: sql`${oauthClients.secretHash}`,
          previousSecretExpiresAt: previousExpiresAt,
          secretHash,
          updatedAt: now,
        })
        .where(and(live(tenantId, clientId), eq(oauthClients.type, "confidential"), unchanged(was)))
        .returning();
      return row ? toClient(row) : null;
    },

    async softDelete(tenantId, clientId, now, was) {
      const rows = await db
        .update(oauthClients)
        .set({ deletedAt: now, updatedAt: now })
        .where(and(live(tenantId, clientId), unchanged(was)))
        .returning({ clientId: oauthClients.clientId });
      return rows.length > 0;
    },
  };
}
