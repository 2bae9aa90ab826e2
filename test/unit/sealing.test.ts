import { describe, expect, it } from "vitest";
import type { EncryptionKey } from "../../src/core/crypto/sealing.js";
import { Sealer, SealingError } from "../../src/core/crypto/sealing.js";
import { cryptoRandom } from "../../src/core/ports/clock.js";

const key = (id: string, fill: number): EncryptionKey => ({ id, key: new Uint8Array(32).fill(fill) });
const v1 = key("v1", 1);
const v2 = key("v2", 2);

describe("Sealer", () => {
  it("opens what it sealed, for the same context", async () => {
    const sealer = await Sealer.create([v1], cryptoRandom);
    const sealed = await sealer.seal("alice@example.com ✓", "users.email:t:u");
    expect(sealed).toMatch(/^s1\.v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain("alice");
    expect(await sealer.open(sealed, "users.email:t:u")).toBe("alice@example.com ✓");
  });

  it("uses a fresh IV each time", async () => {
    const sealer = await Sealer.create([v1], cryptoRandom);
    expect(await sealer.seal("same", "c")).not.toBe(await sealer.seal("same", "c"));
  });

  it("refuses a value moved to another row or column", async () => {
    const sealer = await Sealer.create([v1], cryptoRandom);
    const sealed = await sealer.seal("secret", "users.email:t:u1");
    await expect(sealer.open(sealed, "users.email:t:u2")).rejects.toBeInstanceOf(SealingError);
    await expect(sealer.open(sealed, "users.name:t:u1")).rejects.toBeInstanceOf(SealingError);
  });

  it("refuses tampered and malformed values", async () => {
    const sealer = await Sealer.create([v1], cryptoRandom);
    const sealed = await sealer.seal("secret", "c");
    const parts = sealed.split(".");
    const data = parts[3] ?? "";
    const flipped = `${data.slice(0, -2)}${data.at(-2) === "A" ? "B" : "A"}${data.at(-1)}`;
    for (const bad of [
      [parts[0], parts[1], parts[2], flipped].join("."),
      `${sealed}.extra`,
      "s1.v1.short.data",
      "plain text",
      "",
      `s0.${sealed.slice(3)}`,
    ]) {
      await expect(sealer.open(bad, "c"), bad).rejects.toBeInstanceOf(SealingError);
    }
  });

  it("keeps opening values under an old key after a new key becomes current", async () => {
    const before = await Sealer.create([v1], cryptoRandom);
    const old = await before.seal("kept", "c");
    const after = await Sealer.create([v2, v1], cryptoRandom);
    expect(await after.open(old, "c")).toBe("kept");
    expect(after.needsReseal(old)).toBe(true);
    const resealed = await after.seal(await after.open(old, "c"), "c");
    expect(after.needsReseal(resealed)).toBe(false);
    expect(resealed.split(".")[1]).toBe("v2");
  });

  it("cannot open values once their key is removed", async () => {
    const old = await (await Sealer.create([v1], cryptoRandom)).seal("gone", "c");
    await expect((await Sealer.create([v2], cryptoRandom)).open(old, "c")).rejects.toThrow(/no configured/i);
  });

  it("derives different keys from different key material", async () => {
    const sealed = await (await Sealer.create([v1], cryptoRandom)).seal("x", "c");
    const impostor = await Sealer.create([key("v1", 9)], cryptoRandom);
    await expect(impostor.open(sealed, "c")).rejects.toBeInstanceOf(SealingError);
  });

  it("makes deterministic blind indexes per key and purpose, and finds old ones", async () => {
    const before = await Sealer.create([v1], cryptoRandom);
    const index = await before.blindIndex("alice@example.com", "email");
    expect(index).toMatch(/^v1:[A-Za-z0-9_-]{43}$/);
    expect(await before.blindIndex("alice@example.com", "email")).toBe(index);
    expect(await before.blindIndex("alice@example.com", "other")).not.toBe(index);
    expect(await before.blindIndex("bob@example.com", "email")).not.toBe(index);

    const after = await Sealer.create([v2, v1], cryptoRandom);
    const all = await after.blindIndexes("alice@example.com", "email");
    expect(all).toHaveLength(2);
    expect(all[1]).toBe(index);
    expect(after.needsReindex(index)).toBe(true);
    expect(after.needsReindex(all[0] ?? "")).toBe(false);
    expect(await after.blindIndexUnder("v1", "alice@example.com", "email")).toBe(index);
    expect(await after.blindIndexUnder("v2", "alice@example.com", "email")).toBe(all[0]);
    expect(await after.blindIndexUnder("v3", "alice@example.com", "email")).toBeUndefined();
  });

  it("needs at least one key", async () => {
    await expect(Sealer.create([], cryptoRandom)).rejects.toBeInstanceOf(SealingError);
  });
});
