import { and, asc, eq, gt, isNotNull, isNull, type SQL, sql } from "drizzle-orm";
import type {
  IdentityRecord,
  IdentityRepository,
  OAuthProviderRecord,
  OAuthProviderRepository,
} from "../../core/ports/database.js";
import { byteOrder, type DrizzleDb } from "./drizzle.js";
import { oauthProviders, userIdentities } from "./schema.js";

function toProvider(row: typeof oauthProviders.$inferSelect): OAuthProviderRecord {
  return {
    id: row.id,
    tenantId: row.tenantId,
    name: row.name,
    clientId: row.clientId,
    clientSecretSealed: row.clientSecretSealed,
    issuer: row.issuer,
    scopes: row.scopes,
    enabled: row.enabled,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** What a write of a provider sets. */
const writable = (
  provider: Pick<OAuthProviderRecord, "clientId" | "clientSecretSealed" | "issuer" | "scopes" | "enabled">,
  now: Date,
) => ({
  clientId: provider.clientId,
  clientSecretSealed: provider.clientSecretSealed,
  issuer: provider.issuer,
  scopes: provider.scopes,
  enabled: provider.enabled,
  updatedAt: now,
});

/** The tenant's live provider of that name. */
const named = (tenantId: string, name: string) =>
  and(eq(oauthProviders.tenantId, tenantId), eq(oauthProviders.name, name), isNull(oauthProviders.deletedAt));

export function oauthProviderRepository(db: DrizzleDb): OAuthProviderRepository {
  return {
    async upsert({ now, ...provider }) {
      // One statement (neon-http has no interactive transactions); the target
      // names the partial unique index of live rows. The row keeps its id.
      const [row] = await db
        .insert(oauthProviders)
        .values({ ...provider, createdAt: now, updatedAt: now })
        .onConflictDoUpdate({
          target: [oauthProviders.tenantId, oauthProviders.name],
          targetWhere: sql`deleted_at IS NULL`,
          set: writable(provider, now),
        })
        .returning();
      if (!row) throw new Error("The provider upsert returned no row.");
      return toProvider(row);
    },

    async replaceIf({ now, ...provider }, sealedWas) {
      // One conditional UPDATE, so a concurrent write between the caller's read and this one makes it match no row.
      const [row] = await db
        .update(oauthProviders)
        .set(writable(provider, now))
        .where(and(named(provider.tenantId, provider.name), eq(oauthProviders.clientSecretSealed, sealedWas)))
        .returning();
      return row ? toProvider(row) : null;
    },

    async find(tenantId, name) {
      const [row] = await db
        .select()
        .from(oauthProviders)
        .where(
          and(eq(oauthProviders.tenantId, tenantId), eq(oauthProviders.name, name), isNull(oauthProviders.deletedAt)),
        )
        .limit(1);
      return row ? toProvider(row) : null;
    },

    async list(tenantId, afterName, limit) {
      const rows = await db
        .select()
        .from(oauthProviders)
        .where(
          and(
            eq(oauthProviders.tenantId, tenantId),
            isNull(oauthProviders.deletedAt),
            afterName === null ? undefined : gt(byteOrder(oauthProviders.name), afterName),
          ),
        )
        .orderBy(asc(byteOrder(oauthProviders.name)))
        .limit(limit);
      return rows.map(toProvider);
    },

    async softDelete(tenantId, name, now, sealedWas) {
      const rows = await db
        .update(oauthProviders)
        .set({ deletedAt: now, updatedAt: now })
        .where(
          and(
            named(tenantId, name),
            sealedWas === undefined ? undefined : eq(oauthProviders.clientSecretSealed, sealedWas),
          ),
        )
        .returning({ id: oauthProviders.id });
      return rows.length > 0;
    },

    async page(afterId, limit) {
      const rows = await db
        .select()
        .from(oauthProviders)
        .where(and(isNull(oauthProviders.deletedAt), afterId === null ? undefined : gt(oauthProviders.id, afterId)))
        .orderBy(asc(oauthProviders.id))
        .limit(limit);
      return rows.map(toProvider);
    },

    async reseal(id, from, to) {
      // Only while it still holds what was read: an admin's new secret is never overwritten.
      const rows = await db
        .update(oauthProviders)
        .set({ clientSecretSealed: to })
        .where(
          and(eq(oauthProviders.id, id), eq(oauthProviders.clientSecretSealed, from), isNull(oauthProviders.deletedAt)),
        )
        .returning({ id: oauthProviders.id });
      return rows.length > 0;
    },
  };
}

function toIdentity(row: typeof userIdentities.$inferSelect): IdentityRecord {
  return {
    id: row.id,
    tenantId: row.tenantId,
    userId: row.userId,
    provider: row.provider,
    subject: row.subject,
    emailVerified: row.emailVerified,
    createdAt: row.createdAt,
  };
}

export function identityRepository(db: DrizzleDb): IdentityRepository {
  /** Soft-deletes the tenant's live identities that match; resolves how many. */
  const unlinkWhere = async (at: Date, tenantId: string, ...conditions: SQL[]) => {
    const rows = await db
      .update(userIdentities)
      .set({ deletedAt: at, updatedAt: at })
      .where(and(eq(userIdentities.tenantId, tenantId), isNull(userIdentities.deletedAt), ...conditions))
      .returning({ id: userIdentities.id });
    return rows.length;
  };
  return {
    async find(tenantId, provider, subject) {
      const [row] = await db
        .select()
        .from(userIdentities)
        .where(
          and(
            eq(userIdentities.tenantId, tenantId),
            eq(userIdentities.provider, provider),
            eq(userIdentities.subject, subject),
            isNull(userIdentities.deletedAt),
          ),
        )
        .limit(1);
      return row ? toIdentity(row) : null;
    },

    async createIfAbsent({ now, ...identity }) {
      const [row] = await db
        .insert(userIdentities)
        .values({ ...identity, lastLoginAt: now, createdAt: now, updatedAt: now })
        .onConflictDoNothing({
          target: [userIdentities.tenantId, userIdentities.provider, userIdentities.subject],
          where: sql`deleted_at IS NULL`,
        })
        .returning();
      return row ? toIdentity(row) : null;
    },

    unlinkProvider: (tenantId, provider, at) => unlinkWhere(at, tenantId, eq(userIdentities.provider, provider)),

    unlinkUnverified: (tenantId, userId, at) =>
      unlinkWhere(at, tenantId, eq(userIdentities.userId, userId), eq(userIdentities.emailVerified, false)),

    async recordLogin(tenantId, id, profileSealed, at) {
      await db
        .update(userIdentities)
        .set({ profileSealed, lastLoginAt: at, updatedAt: at })
        .where(and(eq(userIdentities.tenantId, tenantId), eq(userIdentities.id, id), isNull(userIdentities.deletedAt)));
    },

    async pageProfiles(afterId, limit) {
      const rows = await db
        .select({
          id: userIdentities.id,
          tenantId: userIdentities.tenantId,
          provider: userIdentities.provider,
          subject: userIdentities.subject,
          profileSealed: userIdentities.profileSealed,
        })
        .from(userIdentities)
        .where(
          and(
            isNull(userIdentities.deletedAt),
            isNotNull(userIdentities.profileSealed),
            afterId === null ? undefined : gt(userIdentities.id, afterId),
          ),
        )
        .orderBy(asc(userIdentities.id))
        .limit(limit);
      return rows.map((row) => ({ ...row, profileSealed: row.profileSealed ?? "" }));
    },

    async resealProfile(id, from, to) {
      // A login meanwhile stores a fresh profile: that one stays.
      const rows = await db
        .update(userIdentities)
        .set({ profileSealed: to })
        .where(and(eq(userIdentities.id, id), eq(userIdentities.profileSealed, from), isNull(userIdentities.deletedAt)))
        .returning({ id: userIdentities.id });
      return rows.length > 0;
    },
  };
}
