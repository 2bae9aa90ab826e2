import { and, asc, desc, eq, gt, inArray, isNull, or, sql } from "drizzle-orm";
import type { NewSigningKey, SigningKeyRecord, SigningKeyRepository } from "../../core/ports/database.js";
import type { DrizzleDb } from "./drizzle.js";
import { lostRace, rowsOf } from "./errors.js";
import { signingKeys } from "./schema.js";

function toKey(row: typeof signingKeys.$inferSelect): SigningKeyRecord {
  return {
    id: row.id,
    tenantId: row.tenantId,
    kid: row.kid,
    alg: row.alg,
    state: row.state,
    publicJwk: row.publicJwk,
    privateKeySealed: row.privateKeySealed,
    activatedAt: row.activatedAt,
    retiredAt: row.retiredAt,
    publishUntil: row.publishUntil,
    createdAt: row.createdAt,
  };
}

const iso = (date: Date) => sql`${date.toISOString()}::timestamptz`;

function newKeyValues(key: NewSigningKey) {
  return sql`(${key.id}::uuid, ${key.tenantId}::uuid, ${key.kid}, ${key.alg}, ${JSON.stringify(key.publicJwk)}::jsonb,
    ${key.privateKeySealed}, ${iso(key.createdAt)}, ${iso(key.createdAt)}, 'next')`;
}

export function signingKeyRepository(db: DrizzleDb): SigningKeyRepository {
  return {
    async listPublished(tenantId, now, maxRetired) {
      // A ring has at most one next and one active key: with those first and
      // then the newest retired ones, maxRetired + 2 rows hold all it needs.
      const rows = await db
        .select()
        .from(signingKeys)
        .where(
          and(
            eq(signingKeys.tenantId, tenantId),
            isNull(signingKeys.deletedAt),
            or(inArray(signingKeys.state, ["next", "active"]), gt(signingKeys.publishUntil, now)),
          ),
        )
        .orderBy(sql`${signingKeys.state} = 'retired'`, desc(signingKeys.retiredAt), desc(signingKeys.createdAt))
        .limit(maxRetired + 2);
      let retired = 0;
      return rows
        .filter((row) => row.state !== "retired" || ++retired <= maxRetired)
        .map(toKey)
        .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
    },

    async createRing(active, next, now) {
      try {
        // Both rows in one statement; the deferred exclusion constraints let
        // only one ring per tenant commit when two creators race.
        await db.insert(signingKeys).values([
          { ...active, state: "active", activatedAt: now, updatedAt: active.createdAt },
          { ...next, state: "next", updatedAt: next.createdAt },
        ]);
        return true;
      } catch (error) {
        if (lostRace(error)) return false;
        throw error;
      }
    },

    async rotate({ tenantId, activeId, nextId, now, retiredPublishUntil, newNext }) {
      // One statement (neon-http has no interactive transactions): retire the
      // active key, promote the next one, add a new next key, but only when
      // the ring is still as the caller read it. A concurrent rotation that
      // committed first leaves no row matching, so nothing is inserted.
      const expected = activeId ? 2 : 1;
      const active = activeId ? sql`(state = 'active' AND id = ${activeId}::uuid) OR` : sql``;
      let result: unknown;
      try {
        result = await db.execute(sql`
        WITH ring AS (
          UPDATE signing_keys SET
            state = CASE state WHEN 'active' THEN 'retired' ELSE 'active' END,
            retired_at = CASE state WHEN 'active' THEN ${iso(now)} ELSE retired_at END,
            publish_until = CASE state WHEN 'active' THEN ${iso(retiredPublishUntil)} ELSE publish_until END,
            activated_at = CASE state WHEN 'next' THEN ${iso(now)} ELSE activated_at END,
            updated_at = ${iso(now)}
          WHERE tenant_id = ${tenantId}::uuid AND deleted_at IS NULL
            AND (${active} (state = 'next' AND id = ${nextId}::uuid))
          RETURNING id
        )
        INSERT INTO signing_keys (id, tenant_id, kid, alg, public_jwk, private_key_sealed, created_at, updated_at, state)
        SELECT v.* FROM (VALUES ${newKeyValues(newNext)}) AS v
        WHERE (SELECT count(*) FROM ring) = ${expected}
        RETURNING id`);
      } catch (error) {
        // The ring would end with two active or two next keys: nothing commits.
        if (lostRace(error)) return false;
        throw error;
      }
      return rowsOf(result).length === 1;
    },

    async page(afterId, limit) {
      const rows = await db
        .select()
        .from(signingKeys)
        .where(afterId ? gt(signingKeys.id, afterId) : undefined)
        .orderBy(asc(signingKeys.id))
        .limit(limit);
      return rows.map(toKey);
    },

    async reseal(id, privateKeySealed) {
      await db.update(signingKeys).set({ privateKeySealed }).where(eq(signingKeys.id, id));
    },
  };
}
