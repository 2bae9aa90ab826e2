import { describe, expect, it } from "vitest";
import { displayPrefix, generateApiKey, hashApiKey, isWellFormedApiKey } from "../../src/core/api-keys/key-format.js";
import { cryptoRandom, type Random } from "../../src/core/ports/clock.js";

describe("API key format", () => {
  it("is sk_ + 43 base62 characters + a 6-character checksum, and verifies its checksum", () => {
    const key = generateApiKey(cryptoRandom);
    expect(key).toMatch(/^sk_[0-9A-Za-z]{49}$/);
    expect(isWellFormedApiKey(key)).toBe(true);
    expect(displayPrefix(key)).toBe(key.slice(0, 9));
  });

  it("catches every single-character typo and transpositions", () => {
    const key = generateApiKey(cryptoRandom);
    for (let i = 3; i < key.length; i++) {
      const typo = `${key.slice(0, i)}${key[i] === "x" ? "y" : "x"}${key.slice(i + 1)}`;
      expect(isWellFormedApiKey(typo), typo).toBe(false);
    }
    for (let i = 3; i < 45; i++) {
      if (key[i] === key[i + 1]) continue;
      const swapped = `${key.slice(0, i)}${key[i + 1]}${key[i]}${key.slice(i + 2)}`;
      expect(isWellFormedApiKey(swapped)).toBe(false);
    }
    for (const bad of [
      "",
      "sk_",
      key.slice(0, -1),
      `${key}0`,
      key.replace("sk_", "SK_"),
      ` ${key}`,
      `${key.slice(0, 20)}-${key.slice(21)}`,
    ]) {
      expect(isWellFormedApiKey(bad)).toBe(false);
    }
  });

  it("draws characters uniformly (bytes of 248 and more are dropped, not folded)", () => {
    // Every byte 248..255 would fold onto 0..7 under a plain modulo; the generator must skip them.
    const skewed: Random = {
      bytes: (length) => Uint8Array.from({ length }, (_, i) => (i % 2 === 0 ? 250 : (i * 7) % 248)),
      uuid: () => crypto.randomUUID(),
    };
    const key = generateApiKey(skewed);
    expect(isWellFormedApiKey(key)).toBe(true);
    const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    const kept = Array.from({ length: 43 }, (_, k) => alphabet[(((2 * k + 1) * 7) % 248) % 62]).join("");
    expect(key.slice(3, 46)).toBe(kept);
    const counts = new Map<string, number>();
    for (let i = 0; i < 2_000; i++) {
      for (const ch of generateApiKey(cryptoRandom).slice(3, 46)) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    }
    expect(counts.size).toBe(62);
    const expected = (2_000 * 43) / 62;
    for (const count of counts.values()) expect(Math.abs(count - expected) / expected).toBeLessThan(0.15);
  });

  it("hashes with SHA-256 (hex)", async () => {
    expect(await hashApiKey("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
});
