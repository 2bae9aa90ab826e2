/**
 * What the encryption-key check concludes from a sample of sealed values
 * (the sample itself is the repositories' contract): a key id no key is
 * listed under, a listed key that opens none of its values, and damage to
 * one value, which must not stop the service.
 */
import { describe, expect, it } from "vitest";
import { emailContext } from "../../src/core/accounts/user-rows.js";
import { type EncryptionKey, Sealer } from "../../src/core/crypto/sealing.js";
import { providerSecretContext } from "../../src/core/federation/federation.js";
import { encryptionKeysProblem } from "../../src/core/key-check.js";
import { cryptoRandom } from "../../src/core/ports/clock.js";
import type { Database, SealedSample } from "../../src/core/ports/database.js";
import { recordingLogger } from "../support/recorders.js";

const key = (id: string): EncryptionKey => ({ id, key: crypto.getRandomValues(new Uint8Array(32)) });
const k1 = key("k1");
const k2 = key("k2");
const T = "tenant-1";

async function samples(sealer: Sealer): Promise<SealedSample[]> {
  return [
    { table: "users", tenantId: T, id: "u1", name: null, sealed: await sealer.seal("a@x.test", emailContext(T, "u1")) },
    { table: "users", tenantId: T, id: "u2", name: null, sealed: await sealer.seal("b@x.test", emailContext(T, "u2")) },
    {
      table: "oauth_providers",
      tenantId: T,
      id: "p1",
      name: "github",
      sealed: await sealer.seal("secret", providerSecretContext(T, "github")),
    },
    // A placeholder, not a sealed value (an erased or foreign column): passed over.
    { table: "users", tenantId: "tenant-2", id: "u3", name: null, sealed: "x" },
  ];
}

const databaseOf = (rows: SealedSample[]) => ({ sealedValues: { sample: async () => rows } }) as unknown as Database;

async function check(rows: SealedSample[], keys: EncryptionKey[]) {
  const { logger, lines } = recordingLogger();
  const problem = await encryptionKeysProblem(databaseOf(rows), await Sealer.create(keys, cryptoRandom), logger);
  return { problem, lines };
}

describe("the encryption-key check", () => {
  it("passes when the listed keys open every sampled value, the sealing key listed anywhere", async () => {
    const rows = await samples(await Sealer.create([k1], cryptoRandom));
    expect(await check(rows, [k1])).toEqual({ problem: undefined, lines: [] });
    expect(await check(rows, [k2, k1])).toEqual({ problem: undefined, lines: [] });
  });

  it("names a key id the values are sealed under that is not listed, and the tables holding them", async () => {
    const rows = await samples(await Sealer.create([k1], cryptoRandom));
    const { problem, lines } = await check(rows, [k2]);
    expect(problem).toContain('Values in oauth_providers, users are sealed under the key id(s) "k1"');
    expect(problem).toContain("Put each of those keys back in ENCRYPTION_KEYS");
    expect(lines).toEqual([
      {
        level: "error",
        event: "encryption_keys_unusable",
        fields: { missing_key_ids: ["k1"], mismatched_key_ids: [], tables: "oauth_providers, users" },
      },
    ]);
  });

  it("names a listed key that opens none of the values sealed under its id: another key under that id", async () => {
    const rows = await samples(await Sealer.create([k1], cryptoRandom));
    const impostor = { id: "k1", key: k2.key };
    const { problem, lines } = await check(rows, [impostor]);
    expect(problem).toContain('The key(s) listed as "k1" do not open the values sealed under those ids');
    expect(problem).not.toContain("does not list");
    expect(lines.at(-1)).toMatchObject({ event: "encryption_keys_unusable", fields: { mismatched_key_ids: ["k1"] } });
  });

  it("only logs one damaged value when its key opens the others", async () => {
    const rows = await samples(await Sealer.create([k1], cryptoRandom));
    const [first] = rows;
    if (!first) throw new Error("no sample");
    rows[0] = { ...first, sealed: `${first.sealed.slice(0, -4)}AAAA` };
    const { problem, lines } = await check(rows, [k1]);
    expect(problem).toBeUndefined();
    expect(lines).toEqual([
      { level: "warn", event: "sealed_value_unreadable", fields: { table: "users", tenant_id: T, id: "u1" } },
    ]);
  });
});
