/**
 * Upgrading salts the recovery codes stored before as a bare SHA-256
 * (migrations/0019), spent ones too, the way the service salts an earlier
 * release's code: the unspent code is still taken once, and no bare hash stays.
 */
import type pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createPgDatabase } from "../../src/adapters/postgres/pg.js";
import { sha256Hex } from "../../src/core/crypto/digest.js";
import { recoveryCodeCandidates, saltEarlierHash } from "../../src/core/mfa/recovery-codes.js";
import { databaseBefore } from "../support/migrations.js";

let old: Awaited<ReturnType<typeof databaseBefore>>;
let sql: pg.Client;

beforeAll(async () => {
  old = await databaseBefore("0019_salt_recovery_codes");
  sql = old.sql;
});
afterAll(() => old.close());

it("salts every stored code with its tenant and user; the unspent one still signs in once", async () => {
  const tenantId = crypto.randomUUID();
  await sql.query("insert into tenants (id, tenant_id, slug, name) values ($1, $1, 'upgraded', 'U')", [tenantId]);
  const userId = crypto.randomUUID();
  await sql.query(
    "insert into users (id, tenant_id, email_index, email_sealed) values ($1, $2, 'index', 'sealed-email')",
    [userId, tenantId],
  );
  const codes = { unspent: "abcdefghij", spent: "k7d2qmx4pa" };
  for (const [what, code] of Object.entries(codes)) {
    await sql.query(
      "insert into mfa_recovery_codes (tenant_id, user_id, code_hash, used_at, created_at) values ($1, $2, $3, $4, now())",
      [tenantId, userId, await sha256Hex(code), what === "spent" ? new Date() : null],
    );
  }

  await old.upgrade();

  const { rows } = await sql.query("select code_hash from mfa_recovery_codes where user_id = $1", [userId]);
  const expected = await Promise.all(
    Object.values(codes).map(async (code) => saltEarlierHash(tenantId, userId, await sha256Hex(code))),
  );
  expect(rows.map((row: { code_hash: string }) => row.code_hash).sort()).toEqual(expected.sort());

  const db = createPgDatabase(old.url, { max: 1 });
  try {
    expect(await db.recoveryCodes.listUnsalted(10)).toEqual([]);
    const spend = async (typed: string) =>
      db.recoveryCodes.consume(
        tenantId,
        userId,
        (await recoveryCodeCandidates(tenantId, userId, typed)) ?? [],
        new Date(),
      );
    expect(await spend("ABCDE-fghij")).toBe(true);
    expect(await spend("abcde fghij")).toBe(false);
    expect(await spend("k7d2q-mx4pa")).toBe(false);
  } finally {
    await db.close();
  }
});
