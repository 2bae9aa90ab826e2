import { and, desc, eq, gt, inArray, isNull, lt, ne, or, Param, type SQL, sql } from "drizzle-orm";
import type { SessionRecord, SessionRepository, SessionRotation } from "../../core/ports/database.js";
import { beforePosition, builtOnce, type DrizzleDb, exactInstant } from "./drizzle.js";
import { rowsOf } from "./errors.js";
import { sessions, users } from "./schema.js";

function toSession(row: typeof sessions.$inferSelect): SessionRecord {
  return {
    id: row.id,
    tenantId: row.tenantId,
    userId: row.userId,
    authMethod: row.authMethod,
    amr: row.amr,
    clientId: row.clientId,
    scope: row.scope,
    userAgent: row.userAgent,
    ip: row.ip,
    authTime: row.authTime,
    lastUsedAt: row.lastUsedAt,
    expiresAt: row.expiresAt,
    absoluteExpiresAt: row.absoluteExpiresAt,
    revokedAt: row.revokedAt,
    revokedReason: row.revokedReason,
    refreshGeneration: row.refreshGeneration,
    refreshHash: row.refreshHash,
    createdAt: row.createdAt,
  };
}

/** The user's row as a session's insert found it. */
type UserRow = { disabled: boolean; passwordHash: string | null };

const notEnded = and(isNull(sessions.revokedAt), isNull(sessions.deletedAt));
const live = (tenantId: string, id: string) => and(eq(sessions.tenantId, tenantId), eq(sessions.id, id), notEnded);
const ofUser = (tenantId: string, userId: string) =>
  and(eq(sessions.tenantId, tenantId), eq(sessions.userId, userId), notEnded);

/**
 * The ledger's group commit: one statement of fixed text for any number of
 * rotations, a column array per field unnested into rows (no per-row SQL, and
 * the server plans the same statement every time). "Not ended" is written as
 * one COALESCE so no plan can answer it from the partial index of active
 * sessions: without statistics (a table never analysed), IS NULL's default
 * selectivity makes that index look tiny, and a batch became a hash join over
 * every active session. Each rotation is a primary-key lookup instead.
 */
export function rotationsUpdate(rotations: SessionRotation[]): SQL {
  const column = <T>(pick: (rotation: SessionRotation) => T) => sql.param(rotations.map(pick));
  // The UPDATE runs to completion whether or not the outer query reads it; the outer query sees the
  // rows as they were, so it names the sessions the ledger holds as ended (revoked or deleted) or does
  // not hold at all: a session's row is inserted before Redis hears of it, so one missing is a
  // session a restore of an older backup lost, which no revocation could reach.
  return sql`WITH v AS (
      SELECT * FROM unnest(${column((r) => r.tenantId)}::uuid[], ${column((r) => r.id)}::uuid[],
                ${column((r) => r.generation)}::integer[], ${column((r) => r.refreshHash)}::text[],
                ${column((r) => r.at.toISOString())}::timestamptz[],
                ${column((r) => r.expiresAt.toISOString())}::timestamptz[])
        AS v(tenant_id, id, generation, refresh_hash, at, expires_at)
    ), recorded AS (
      UPDATE sessions AS s
      SET refresh_generation = v.generation, refresh_hash = v.refresh_hash,
          last_used_at = v.at, expires_at = v.expires_at, updated_at = v.at
      FROM v
      WHERE s.id = v.id AND s.tenant_id = v.tenant_id AND COALESCE(s.revoked_at, s.deleted_at) IS NULL
        AND s.refresh_generation < v.generation
      RETURNING s.id
    )
    SELECT v.id FROM v LEFT JOIN sessions AS s ON s.id = v.id AND s.tenant_id = v.tenant_id
    WHERE s.id IS NULL OR COALESCE(s.revoked_at, s.deleted_at) IS NOT NULL`;
}

const { placeholder } = sql;

/** Each of a new session's fields, by name: the statement that inserts it is built once. */
const NEW_SESSION = {
  id: placeholder("id"),
  tenantId: placeholder("tenantId"),
  userId: placeholder("userId"),
  authMethod: placeholder("authMethod"),
  amr: placeholder("amr"),
  clientId: placeholder("clientId"),
  scope: placeholder("scope"),
  userAgent: placeholder("userAgent"),
  ip: placeholder("ip"),
  authTime: placeholder("authTime"),
  lastUsedAt: placeholder("lastUsedAt"),
  expiresAt: placeholder("expiresAt"),
  absoluteExpiresAt: placeholder("absoluteExpiresAt"),
  refreshHash: placeholder("refreshHash"),
};

export function sessionRepository(db: DrizzleDb): SessionRepository {
  // One round trip: a session starts at a login, so the same statement stamps the user's last login.
  const insertSession = builtOnce(() => {
    const login = db.$with("login").as(
      db
        .update(users)
        // Not updated_at: that is the user's version (UserVersions), and a login changes nothing a token carries.
        // set() takes no placeholder, so the auth time goes in as a parameter encoded by the column.
        .set({ lastLoginAt: sql`${new Param(NEW_SESSION.authTime, users.lastLoginAt)}` })
        // A live user only: an erased row is never written to.
        .where(and(eq(users.tenantId, NEW_SESSION.tenantId), eq(users.id, NEW_SESSION.userId), isNull(users.deletedAt)))
        // The row as it is once locked, a change committed meanwhile included (READ COMMITTED).
        .returning({ disabledAt: users.disabledAt, passwordHash: users.passwordHash }),
    );
    return db
      .with(login)
      .insert(sessions)
      .values({
        ...NEW_SESSION,
        refreshGeneration: 0,
        createdAt: NEW_SESSION.authTime,
        updatedAt: NEW_SESSION.authTime,
      })
      .returning({
        user: sql<UserRow | null>`(SELECT json_build_object('disabled', disabled_at IS NOT NULL,
          'passwordHash', password_hash) FROM login)`,
      });
  });

  /** Marks the matching sessions revoked; resolves their ids. */
  const revokeWhere = async (where: SQL | undefined, at: Date, reason: string) => {
    const rows = await db
      .update(sessions)
      .set({ revokedAt: at, revokedReason: reason, updatedAt: at })
      .where(where)
      .returning({ id: sessions.id });
    return rows.map((row) => row.id);
  };
  return {
    async create(session) {
      const [row] = await insertSession().execute(session);
      const user = typeof row?.user === "string" ? (JSON.parse(row.user) as UserRow) : (row?.user ?? null);
      const created = { ...session, revokedAt: null, revokedReason: null, refreshGeneration: 0 };
      return { ...created, createdAt: session.authTime, user };
    },

    async discard(tenantId, id) {
      await db.delete(sessions).where(and(eq(sessions.tenantId, tenantId), eq(sessions.id, id)));
    },

    async findById(tenantId, id) {
      const [row] = await db
        .select()
        .from(sessions)
        .where(and(eq(sessions.tenantId, tenantId), eq(sessions.id, id), isNull(sessions.deletedAt)))
        .limit(1);
      return row ? toSession(row) : null;
    },

    async recordRotations(rotations) {
      if (rotations.length === 0) return [];
      return rowsOf<{ id: string }>(await db.execute(rotationsUpdate(rotations))).map((row) => row.id);
    },

    async revoke(tenantId, id, at, reason) {
      return (await revokeWhere(live(tenantId, id), at, reason)).length > 0;
    },

    async liveIdsOfUser(tenantId, userId, exceptId, limit) {
      const rows = await db
        .select({ id: sessions.id })
        .from(sessions)
        .where(and(ofUser(tenantId, userId), exceptId === undefined ? undefined : ne(sessions.id, exceptId)))
        .limit(limit);
      return rows.map((row) => row.id);
    },

    async liveIdsOfClient(tenantId, clientId, userId, limit) {
      const rows = await db
        .select({ id: sessions.id })
        .from(sessions)
        .where(
          and(
            eq(sessions.tenantId, tenantId),
            eq(sessions.clientId, clientId),
            userId === undefined ? undefined : eq(sessions.userId, userId),
            notEnded,
          ),
        )
        .limit(limit);
      return rows.map((row) => row.id);
    },

    async liveIdsOfTenant(tenantId, limit) {
      // What sessions_user_active_idx holds (the live ones, tenant first): no page is read past the ended ones.
      const rows = await db
        .select({ id: sessions.id })
        .from(sessions)
        .where(and(eq(sessions.tenantId, tenantId), notEnded))
        .limit(limit);
      return rows.map((row) => row.id);
    },

    revokeMany(tenantId, ids, at, reason) {
      if (ids.length === 0) return Promise.resolve([]);
      return revokeWhere(and(eq(sessions.tenantId, tenantId), inArray(sessions.id, ids), notEnded), at, reason);
    },

    async listLive(tenantId, userId, now, after, limit) {
      // No index on last_used_at: one would make every rotation's update non-HOT; a user's sessions are sorted instead.
      const rows = await db
        .select({ row: sessions, at: exactInstant(sessions.lastUsedAt) })
        .from(sessions)
        .where(
          and(
            ofUser(tenantId, userId),
            gt(sessions.expiresAt, now),
            gt(sessions.absoluteExpiresAt, now),
            after ? beforePosition(sessions.lastUsedAt, sessions.id, after) : undefined,
          ),
        )
        .orderBy(desc(sessions.lastUsedAt), desc(sessions.id))
        .limit(limit);
      return rows.map(({ row, at }) => ({ session: toSession(row), position: { at, id: row.id } }));
    },

    async purgeEndedBefore(cutoff, limit) {
      // A batch at a time (neon-http: one statement, no transaction); expires_at never
      // passes absolute_expires_at (a check constraint), so it stands for both.
      const ended = db
        .select({ id: sessions.id })
        .from(sessions)
        .where(or(lt(sessions.expiresAt, cutoff), lt(sessions.revokedAt, cutoff), lt(sessions.deletedAt, cutoff)))
        .limit(limit);
      const rows = await db.delete(sessions).where(inArray(sessions.id, ended)).returning({ id: sessions.id });
      return rows.length;
    },
  };
}
