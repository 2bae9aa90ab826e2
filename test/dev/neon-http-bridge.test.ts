import { randomBytes } from "node:crypto";
import { NeonDbError, neon, neonConfig } from "@neondatabase/serverless";
import { eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/neon-http";
import { boolean, integer, pgTable, serial, text } from "drizzle-orm/pg-core";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type NeonHttpBridge, startNeonHttpBridge } from "../../scripts/dev/neon-http-bridge.js";
import { POSTGRES_ADMIN_URL } from "../support/services.js";

const ADMIN = POSTGRES_ADMIN_URL;
const DB = `neon_bridge_${randomBytes(6).toString("hex")}`;
// Host/port in the connection string are irrelevant: fetchEndpoint decides where requests go,
// and the bridge routes on the user and database.
const CONN = `postgresql://postgres@bridge.local/${DB}`;

let bridge: NeonHttpBridge;

/** Runs `fn` and returns what it throws (fails the test if it does not throw). */
async function thrown(fn: () => Promise<unknown>): Promise<NeonDbError> {
  try {
    await fn();
  } catch (err) {
    return err as NeonDbError;
  }
  throw new Error("expected the query to fail");
}

beforeAll(async () => {
  const admin = new pg.Client(ADMIN);
  await admin.connect();
  await admin.query(`CREATE DATABASE ${DB}`);
  await admin.end();
  bridge = await startNeonHttpBridge({ postgresUrl: POSTGRES_ADMIN_URL });
  // The driver has no per-client endpoint option: fetchEndpoint (like fetchFunction) is global-only
  // (`NeonConfigGlobalOnly`). Vitest's "forks" pool gives this file its own process.
  neonConfig.fetchEndpoint = bridge.endpoint;
});

afterAll(async () => {
  await bridge?.close();
  const admin = new pg.Client(ADMIN);
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
  await admin.end();
});

describe("neon() over the bridge", () => {
  it("routes each request to the database named in the connection string", async () => {
    const scratch = neon(CONN);
    const other = neon("postgresql://postgres@bridge.local/postgres");
    expect(await scratch`SELECT current_database() AS db`).toEqual([{ db: DB }]);
    expect(await other`SELECT current_database() AS db`).toEqual([{ db: "postgres" }]);
  });

  it("runs parameterised queries (template and sql.query forms)", async () => {
    const sql = neon(CONN);
    const tricky = "o'hare; DROP TABLE x --";
    const rows =
      await sql`SELECT ${2}::int + ${40}::int AS answer, ${tricky}::text AS echoed, ${null}::text AS nothing`;
    expect(rows).toEqual([{ answer: 42, echoed: tricky, nothing: null }]);
    expect(await sql.query("SELECT $1::text || $2::text AS joined", ["a", "b"])).toEqual([{ joined: "ab" }]);
  });

  it("returns Postgres text that the driver parses into the usual JS types", async () => {
    const sql = neon(CONN);
    const when = new Date("2024-02-03T04:05:06.789Z");
    const bytes = Buffer.from([0, 1, 254, 255]);
    const [row] = await sql`
      SELECT 7::int AS i, 9007199254740993::int8 AS big, true AS yes, false AS no,
             ${when}::timestamptz AS at, ${{ a: [1, "x"], b: null }}::jsonb AS doc,
             'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid AS id, ARRAY['x', 'y,z', NULL]::text[] AS tags,
             ${bytes}::bytea AS blob, NULL::int AS missing, 1.5::float8 AS f, 12.50::numeric AS n`;
    expect(row).toEqual({
      i: 7,
      big: "9007199254740993", // int8 stays a string: no precision loss
      yes: true,
      no: false,
      at: when,
      doc: { a: [1, "x"], b: null },
      id: "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
      tags: ["x", "y,z", null],
      blob: bytes,
      missing: null,
      f: 1.5,
      n: "12.50",
    });
    expect(row?.at).toBeInstanceOf(Date);
    expect(Buffer.isBuffer(row?.blob)).toBe(true);
  });

  it("supports arrayMode and fullResults, per client and per query", async () => {
    const arrays = neon(CONN, { arrayMode: true });
    expect(await arrays`SELECT 1 AS a, 'two' AS b`).toEqual([[1, "two"]]);

    const full = neon(CONN, { fullResults: true });
    const res = await full`SELECT n, n * 2 AS double FROM generate_series(1, 3) AS n`;
    expect(res.command).toBe("SELECT");
    expect(res.rowCount).toBe(3);
    expect(res.rowAsArray).toBe(false);
    expect(res.rows).toEqual([
      { n: 1, double: 2 },
      { n: 2, double: 4 },
      { n: 3, double: 6 },
    ]);
    expect(res.fields.map((f) => [f.name, f.dataTypeID, f.format])).toEqual([
      ["n", 23, "text"],
      ["double", 23, "text"],
    ]);
    expect(res.fields[0]).toEqual(
      expect.objectContaining({ dataTypeSize: 4, dataTypeModifier: -1, tableID: 0, columnID: 0 }),
    );

    const both = await neon(CONN).query("SELECT 1 AS a, 2 AS a", [], { arrayMode: true, fullResults: true });
    expect(both.rowAsArray).toBe(true);
    expect(both.rows).toEqual([[1, 2]]); // duplicate column names survive in array mode

    await full`CREATE TABLE counted (v int)`;
    const created = await full`CREATE TABLE counted_2 (v int)`;
    expect(created.command).toBe("CREATE");
    expect(created.rowCount).toBeNull();
    const inserted = await full`INSERT INTO counted SELECT generate_series(1, 5)`;
    expect([inserted.command, inserted.rowCount]).toEqual(["INSERT", 5]);
    const deleted = await full`DELETE FROM counted WHERE v > 3`;
    expect([deleted.command, deleted.rowCount]).toEqual(["DELETE", 2]);
  });

  it("reports table and column ids for columns that come from a table", async () => {
    const sql = neon(CONN, { fullResults: true });
    await sql`CREATE TABLE ids_probe (a text, b varchar(10))`;
    const res = await sql`SELECT b, a FROM ids_probe`;
    const [oid] = await neon(CONN)`SELECT 'ids_probe'::regclass::oid::int AS oid`;
    expect(res.fields.map((f) => [f.name, f.tableID, f.columnID])).toEqual([
      ["b", oid?.oid, 2],
      ["a", oid?.oid, 1],
    ]);
    expect(res.fields[0]?.dataTypeModifier).toBe(14); // varchar(10): 10 + 4-byte header
  });

  it("commits sql.transaction([...]) together and answers in batch format", async () => {
    const sql = neon(CONN);
    await sql`CREATE TABLE tx_items (name text PRIMARY KEY)`;
    const [first, second, listed] = await sql.transaction([
      sql`INSERT INTO tx_items VALUES ('a') RETURNING name`,
      sql`INSERT INTO tx_items VALUES ('b') RETURNING name`,
      sql`SELECT count(*)::int AS n FROM tx_items`,
    ]);
    expect(first).toEqual([{ name: "a" }]);
    expect(second).toEqual([{ name: "b" }]);
    expect(listed).toEqual([{ n: 2 }]); // later queries see earlier ones: same transaction
    const [xids] = await sql.transaction((tx) => [tx`SELECT txid_current() AS x`, tx`SELECT txid_current() AS x`], {
      arrayMode: true,
    });
    expect(xids).toEqual([[expect.any(String)]]);
    const ids = await sql.transaction([sql`SELECT txid_current()::text AS x`, sql`SELECT txid_current()::text AS x`]);
    expect(ids[0]).toEqual(ids[1]);
  });

  it("rolls back the whole transaction when one query fails", async () => {
    const sql = neon(CONN);
    await sql`CREATE TABLE tx_rollback (name text PRIMARY KEY)`;
    await sql`INSERT INTO tx_rollback VALUES ('taken')`;
    const err = await thrown(() =>
      sql.transaction([sql`INSERT INTO tx_rollback VALUES ('new')`, sql`INSERT INTO tx_rollback VALUES ('taken')`]),
    );
    expect(err).toBeInstanceOf(NeonDbError);
    expect(err.code).toBe("23505");
    expect(await sql`SELECT name FROM tx_rollback ORDER BY name`).toEqual([{ name: "taken" }]);
    // The pooled connection is usable afterwards (not stuck in an aborted transaction).
    expect(await sql`SELECT 1 AS ok`).toEqual([{ ok: 1 }]);
  });

  it("applies isolation level, read-only and deferrable options to transactions", async () => {
    const sql = neon(CONN);
    const probe = () => [
      sql`SHOW transaction_isolation`,
      sql`SHOW transaction_read_only`,
      sql`SHOW transaction_deferrable`,
    ];
    const defaults = await sql.transaction(probe());
    expect(defaults).toEqual([
      [{ transaction_isolation: "read committed" }],
      [{ transaction_read_only: "off" }],
      [{ transaction_deferrable: "off" }],
    ]);
    const strict = await sql.transaction(probe(), { isolationLevel: "Serializable", readOnly: true, deferrable: true });
    expect(strict).toEqual([
      [{ transaction_isolation: "serializable" }],
      [{ transaction_read_only: "on" }],
      [{ transaction_deferrable: "on" }],
    ]);
    const clientDefault = neon(CONN, { isolationLevel: "RepeatableRead" });
    expect(await clientDefault.transaction([clientDefault`SHOW transaction_isolation`])).toEqual([
      [{ transaction_isolation: "repeatable read" }],
    ]);
    const readOnly = await thrown(() => sql.transaction([sql`CREATE TABLE nope (x int)`], { readOnly: true }));
    expect(readOnly.code).toBe("25006"); // read_only_sql_transaction
  });

  it("surfaces a unique violation as NeonDbError with code 23505 and its details", async () => {
    const sql = neon(CONN);
    await sql`CREATE TABLE uniq (email text CONSTRAINT uniq_email UNIQUE)`;
    await sql`INSERT INTO uniq VALUES (${"a@example.com"})`;
    const err = await thrown(() => sql`INSERT INTO uniq VALUES (${"a@example.com"})`);
    expect(err).toBeInstanceOf(NeonDbError);
    expect(err.name).toBe("NeonDbError");
    expect(err.code).toBe("23505");
    expect(err.constraint).toBe("uniq_email");
    expect(err.table).toBe("uniq");
    expect(err.schema).toBe("public");
    expect(err.detail).toBe("Key (email)=(a@example.com) already exists.");
    expect(err.severity).toBe("ERROR");
    expect(err.message).toMatch(/duplicate key value violates unique constraint "uniq_email"/);
    expect(err.hint).toBeUndefined(); // absent fields come back as null → undefined on the error
  });

  it("surfaces a syntax error with code 42601 and its position", async () => {
    const sql = neon(CONN);
    const err = await thrown(() => sql`SELECT * FORM nowhere`);
    expect(err).toBeInstanceOf(NeonDbError);
    expect(err.code).toBe("42601");
    expect(err.position).toBe("10");
    expect(err.message).toMatch(/syntax error at or near "FORM"/);
    // Like Neon (extended protocol), one query is one statement.
    const multi = await thrown(() => sql`SELECT 1; SELECT 2`);
    expect(multi.code).toBe("42601");
    expect(multi.message).toMatch(/multiple commands/);
  });

  it("never hands out a pooled connection left inside a transaction (a lone BEGIN), and serves concurrent queries", async () => {
    const sql = neon(CONN);
    await sql`BEGIN`;
    await sql`CREATE TABLE lone_begin_probe (x int)`;
    // Seen from a separate direct connection, the table exists only if it was autocommitted, i.e. the
    // CREATE did not run on the connection still inside the BEGIN.
    const direct = new pg.Client(`postgresql://postgres@127.0.0.1:5432/${DB}`);
    await direct.connect();
    const { rows } = await direct.query("SELECT to_regclass('lone_begin_probe') IS NOT NULL AS committed");
    await direct.end();
    expect(rows).toEqual([{ committed: true }]);
    const many = await Promise.all(Array.from({ length: 10 }, (_, i) => sql`SELECT ${i}::int AS i, pg_sleep(0.01)`));
    expect(many.map((rows) => rows[0]?.i)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("reports a missing database as a Postgres error", async () => {
    const err = await thrown(() => neon("postgresql://postgres@bridge.local/neon_bridge_does_not_exist")`SELECT 1`);
    expect(err).toBeInstanceOf(NeonDbError);
    expect(err.code).toBe("3D000");
  });
});

describe("raw protocol", () => {
  const headers = {
    "Neon-Connection-String": CONN,
    "Neon-Raw-Text-Output": "true",
    "Neon-Array-Mode": "true",
  };

  it("answers the wire format the driver expects", async () => {
    const res = await fetch(bridge.endpoint, {
      method: "POST",
      headers,
      body: JSON.stringify({ query: "SELECT $1::int AS a, NULL::text AS b, $2::bool AS c", params: ["5", true] }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      command: "SELECT",
      rowCount: 1,
      rowAsArray: true,
      fields: [
        { name: "a", dataTypeID: 23, tableID: 0, columnID: 0, dataTypeSize: 4, dataTypeModifier: -1, format: "text" },
        { name: "b", dataTypeID: 25, tableID: 0, columnID: 0, dataTypeSize: -1, dataTypeModifier: -1, format: "text" },
        { name: "c", dataTypeID: 16, tableID: 0, columnID: 0, dataTypeSize: 1, dataTypeModifier: -1, format: "text" },
      ],
      rows: [["5", null, "t"]],
    });
  });

  it("answers batches as {results} and echoes the batch options", async () => {
    const res = await fetch(bridge.endpoint, {
      method: "POST",
      headers: { ...headers, "Neon-Array-Mode": "false", "Neon-Batch-Isolation-Level": "RepeatableRead" },
      body: JSON.stringify({ queries: [{ query: "SELECT 1 AS one" }, { query: "SELECT 2 AS two", arrayMode: true }] }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("neon-batch-isolation-level")).toBe("RepeatableRead");
    const body = (await res.json()) as { results: { rows: unknown[]; rowAsArray: boolean }[] };
    expect(body.results.map((r) => [r.rowAsArray, r.rows])).toEqual([
      [false, [{ one: "1" }]],
      [true, [["2"]]],
    ]);
  });

  it("rejects malformed requests with a 400 JSON error", async () => {
    const badJson = await fetch(bridge.endpoint, { method: "POST", headers, body: "{not json" });
    expect(badJson.status).toBe(400);
    expect(((await badJson.json()) as { message: string }).message).toMatch(/not valid JSON/);

    const noHeader = await fetch(bridge.endpoint, {
      method: "POST",
      headers: { "Neon-Raw-Text-Output": "true" },
      body: JSON.stringify({ query: "SELECT 1" }),
    });
    expect(noHeader.status).toBe(400);
    expect(((await noHeader.json()) as { message: string }).message).toMatch(/Neon-Connection-String/);

    const noQuery = await fetch(bridge.endpoint, {
      method: "POST",
      headers,
      body: JSON.stringify({ sql: "SELECT 1" }),
    });
    expect(noQuery.status).toBe(400);

    const badLevel = await fetch(bridge.endpoint, {
      method: "POST",
      headers: { ...headers, "Neon-Batch-Isolation-Level": "Chaos" },
      body: JSON.stringify({ queries: [] }),
    });
    expect(badLevel.status).toBe(400);
    expect(await badLevel.json()).toEqual({ message: "invalid isolation level" });

    // The bridge is still alive and serving.
    expect(await neon(CONN)`SELECT 'alive' AS s`).toEqual([{ s: "alive" }]);
  });
});

describe("drizzle-orm/neon-http over the bridge", () => {
  // Runs last on purpose: drizzle's neon-http driver globally resets the driver's timestamp/date
  // parsers to identity when constructed, which would change the Date assertion above.
  const users = pgTable("drizzle_users", {
    id: serial("id").primaryKey(),
    name: text("name").notNull(),
    age: integer("age"),
    active: boolean("active").notNull().default(true),
  });

  it("inserts, selects and updates with returning", async () => {
    const db = drizzle({ client: neon(CONN) });
    await db.execute(
      "CREATE TABLE drizzle_users (id serial PRIMARY KEY, name text NOT NULL, age int, active boolean NOT NULL DEFAULT true)",
    );

    const inserted = await db
      .insert(users)
      .values([{ name: "ada", age: 36 }, { name: "alan" }])
      .returning();
    expect(inserted).toEqual([
      { id: 1, name: "ada", age: 36, active: true },
      { id: 2, name: "alan", age: null, active: true },
    ]);

    const selected = await db.select({ name: users.name, age: users.age }).from(users).where(eq(users.id, 1));
    expect(selected).toEqual([{ name: "ada", age: 36 }]);

    const updated = await db.update(users).set({ active: false, age: 41 }).where(eq(users.name, "alan")).returning();
    expect(updated).toEqual([{ id: 2, name: "alan", age: 41, active: false }]);

    const [batchInsert, batchCount] = await db.batch([
      db.insert(users).values({ name: "grace" }).returning({ id: users.id }),
      db.select({ id: users.id }).from(users),
    ]);
    expect(batchInsert).toEqual([{ id: 3 }]);
    expect(batchCount).toHaveLength(3);

    const dup = await thrown(() => db.insert(users).values({ id: 1, name: "again" }));
    expect((dup.cause as NeonDbError | undefined)?.code ?? dup.code).toBe("23505");
  });
});
