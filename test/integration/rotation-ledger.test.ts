/**
 * The rotation ledger's group commit on real Postgres: a rotation resolves
 * once committed; rotations arriving while a write is in flight share the
 * next statement; a session's newest rotation wins within one; a failed
 * write fails exactly its batch; without group commit each rotation is its
 * own write; a session the ledger holds as ended is answered so. Its statement looks each session up by key whether or not the
 * table has statistics.
 */
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPgDatabase } from "../../src/adapters/postgres/pg.js";
import { rotationsUpdate } from "../../src/adapters/postgres/sessions.js";
import type { Database, SessionRotation } from "../../src/core/ports/database.js";
import { RotationLedger } from "../../src/core/sessions/rotation-ledger.js";
import { seedTenant, seedUser } from "../contract/seed.js";
import { createTestDatabase, type TestDatabase } from "../support/postgres.js";

const at = new Date("2026-03-04T05:06:07.089Z");
const DAY = 86_400_000;

let database: TestDatabase;
let db: Database;
let tenantId: string;
let userId: string;

beforeAll(async () => {
  database = await createTestDatabase();
  db = createPgDatabase(database.url, { max: 2 });
  tenantId = await seedTenant(db, "ledger", at);
  userId = await seedUser(db, tenantId, at);
});

afterAll(async () => {
  await db?.close();
  await database?.drop();
});

async function newSession(): Promise<string> {
  const { id } = await db.sessions.create({
    id: crypto.randomUUID(),
    tenantId,
    userId,
    authMethod: "password",
    amr: ["pwd"],
    clientId: "first-party",
    scope: "openid",
    userAgent: null,
    ip: null,
    authTime: at,
    lastUsedAt: at,
    expiresAt: new Date(at.getTime() + DAY),
    absoluteExpiresAt: new Date(at.getTime() + 90 * DAY),
    refreshHash: "h0",
  });
  return id;
}

const rotation = (id: string, generation: number): SessionRotation => ({
  tenantId,
  id,
  generation,
  refreshHash: `${id}:${generation}`,
  at: new Date(at.getTime() + generation),
  expiresAt: new Date(at.getTime() + DAY + generation),
});

/** The real repository, with every statement's rotations recorded and an optional failure injected. */
function watched(fail: (batch: SessionRotation[]) => boolean = () => false) {
  const statements: SessionRotation[][] = [];
  const sessions = Object.create(db.sessions) as Database["sessions"];
  sessions.recordRotations = async (rotations) => {
    statements.push(rotations);
    if (fail(rotations)) throw new Error("injected ledger failure");
    return db.sessions.recordRotations(rotations);
  };
  return { db: { ...db, sessions } as Database, statements };
}

const generationOf = async (id: string) => (await db.sessions.findById(tenantId, id))?.refreshHash;

describe("RotationLedger", () => {
  it("writes the first rotation at once and the ones arriving meanwhile together, each resolved once committed", async () => {
    const ids = await Promise.all(Array.from({ length: 6 }, () => newSession()));
    const { db: ledgerDb, statements } = watched();
    const ledger = new RotationLedger(ledgerDb, true);
    const committed: string[] = [];
    await Promise.all(
      ids.map((id) =>
        ledger.record(rotation(id, 1)).then(async () => {
          // Resolved only once the row holds it.
          expect(await generationOf(id)).toBe(`${id}:1`);
          committed.push(id);
        }),
      ),
    );
    expect(committed.sort()).toEqual([...ids].sort());
    expect(statements.map((s) => s.length)).toEqual([1, 5]);
  });

  it("keeps a session's newest rotation when two share a statement", async () => {
    const [first, busy] = [await newSession(), await newSession()];
    const { db: ledgerDb, statements } = watched();
    const ledger = new RotationLedger(ledgerDb, true);
    await Promise.all([
      ledger.record(rotation(first, 1)),
      ledger.record(rotation(busy, 3)),
      ledger.record(rotation(busy, 2)),
    ]);
    expect(statements[1]?.map((r) => r.generation)).toEqual([3]);
    expect(await generationOf(busy)).toBe(`${busy}:3`);
  });

  it("fails exactly the batch whose write failed, and writes the next one", async () => {
    const ids = await Promise.all(Array.from({ length: 3 }, () => newSession()));
    const { db: ledgerDb } = watched((batch) => batch.length === 2);
    const ledger = new RotationLedger(ledgerDb, true);
    const outcomes = await Promise.allSettled(ids.map((id) => ledger.record(rotation(id, 1))));
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "rejected"]);
    await ledger.record(rotation(ids[1] as string, 2));
    expect(await generationOf(ids[1] as string)).toBe(`${ids[1]}:2`);
    expect(await generationOf(ids[2] as string)).toBe("h0");
  });

  it("answers ended for a session the ledger holds as revoked, alone or in a batch, and recorded for the others", async () => {
    const [live, revoked] = [await newSession(), await newSession()];
    await db.sessions.revoke(tenantId, revoked, at, "admin");
    const grouped = new RotationLedger(db, true);
    expect(await Promise.all([grouped.record(rotation(live, 1)), grouped.record(rotation(revoked, 1))])).toEqual([
      "recorded",
      "ended",
    ]);
    const alone = new RotationLedger(db, false);
    expect(await alone.record(rotation(revoked, 2))).toBe("ended");
    expect(await alone.record(rotation(live, 2))).toBe("recorded");
  });

  it("without group commit, writes each rotation on its own", async () => {
    const ids = await Promise.all(Array.from({ length: 3 }, () => newSession()));
    const { db: ledgerDb, statements } = watched();
    const ledger = new RotationLedger(ledgerDb, false);
    await Promise.all(ids.map((id) => ledger.record(rotation(id, 1))));
    expect(statements.map((s) => s.length)).toEqual([1, 1, 1]);
    for (const id of ids) expect(await generationOf(id)).toBe(`${id}:1`);
  });
});

describe("the ledger's statement", () => {
  interface PlanNode {
    "Node Type": string;
    "Relation Name"?: string;
    "Index Name"?: string;
    Plans?: PlanNode[];
  }
  const scansOfSessions = (node: PlanNode): string[] => [
    ...(node["Relation Name"] === "sessions" && node["Node Type"] !== "ModifyTable"
      ? [`${node["Node Type"]} ${node["Index Name"] ?? ""}`.trim()]
      : []),
    ...(node.Plans ?? []).flatMap(scansOfSessions),
  ];

  it("finds each session by its key on a table never analysed, and once analysed", async () => {
    // Its own database: a sessions table of 20,000 rows that autovacuum may not analyse meanwhile.
    const own = await createTestDatabase();
    const pool = new pg.Pool({ connectionString: own.url, max: 1 });
    try {
      const ownDb = createPgDatabase(own.url, { max: 1 });
      const tenant = await seedTenant(ownDb, "plan", at);
      const user = await seedUser(ownDb, tenant, at);
      await ownDb.close();
      const raw = drizzle(pool);
      await raw.execute(sql`ALTER TABLE sessions SET (autovacuum_enabled = false)`);
      await raw.execute(sql`INSERT INTO sessions (id, tenant_id, user_id, auth_method, auth_time, last_used_at,
          expires_at, absolute_expires_at)
        SELECT gen_random_uuid(), ${tenant}, ${user}, 'password', now(), now(), now() + interval '1 day',
          now() + interval '2 days'
        FROM generate_series(1, 20000)`);
      const picked = await raw.execute<{ id: string }>(sql`SELECT id FROM sessions ORDER BY random() LIMIT 20`);
      const batch = picked.rows.map((row, i) => ({ ...rotation(row.id, i + 1), tenantId: tenant }));
      const plan = async () => {
        const result = await raw.execute<{ "QUERY PLAN": [{ Plan: PlanNode }] }>(
          sql`EXPLAIN (FORMAT JSON) ${rotationsUpdate(batch)}`,
        );
        const [explained] = result.rows[0]?.["QUERY PLAN"] ?? [];
        return explained ? scansOfSessions(explained.Plan) : [];
      };
      const stats = await raw.execute<{ n: number }>(
        sql`SELECT count(*)::int AS n FROM pg_stats WHERE tablename = 'sessions'`,
      );
      expect(stats.rows[0]?.n).toBe(0);
      // The whole-table plan this replaced read "Index Scan sessions_user_active_idx" here.
      const byKey = /^Index Scan sessions_(pkey|tenant_id_id_key)$/;
      // Two look-ups: the update's, and the one that names the sessions the ledger holds as ended.
      const twiceByKey = [expect.stringMatching(byKey), expect.stringMatching(byKey)];
      expect(await plan()).toEqual(twiceByKey);
      await raw.execute(sql`ANALYZE sessions`);
      expect(await plan()).toEqual(twiceByKey);
    } finally {
      await pool.end();
      await own.drop();
    }
  });
});
