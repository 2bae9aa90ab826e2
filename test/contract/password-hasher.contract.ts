import { describe, expect, it } from "vitest";
import type { PasswordHasher } from "../../src/core/ports/password-hasher.js";

/** A hash with today's parameters: 16-byte salt (22 characters), 32-byte hash (43), unpadded standard base64. */
export const CURRENT_PHC = /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/;

/**
 * Vectors from a third implementation, the reference one (Debian's `argon2`
 * CLI, package argon2 0~20171227), e.g.
 * `printf '%s' 'pässwörd 🔑' | argon2 saltsaltsaltsalt -id -k 19456 -t 2 -p 1 -l 32 -e`.
 * (RFC 9106's own argon2id vector uses a secret and associated data, which
 * PHC strings cannot carry.)
 */
export const KNOWN_VECTORS = [
  {
    password: "correct horse",
    phc: "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$k9ohroejZy1PN5E1SbHNPug6vB8eQAahb5SOAp6iGF4",
  },
  {
    password: "pässwörd 🔑",
    phc: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$9FmN9BaVXInxJzVftkbFkW8JGVZjc+kEP7R4gSCzIKM",
  },
  {
    password: "correct horse",
    phc: "$argon2id$v=19$m=1024,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$4BnlcpLz5MRq0Izs2E2zIqpIFISeK/m9DFKmAc7uq5Y",
  },
];
const VECTOR = KNOWN_VECTORS[0] as (typeof KNOWN_VECTORS)[number];

/** Strings no adapter may run argon2 for; each must resolve false at once. */
export const FOREIGN_PHC: [string, string][] = [
  ["bcrypt", "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW"],
  ["argon2i", VECTOR.phc.replace("$argon2id$", "$argon2i$")],
  ["argon2d", VECTOR.phc.replace("$argon2id$", "$argon2d$")],
  ["argon2id version 1.0", VECTOR.phc.replace("v=19", "v=16")],
  ["truncated", VECTOR.phc.slice(0, 40)],
  ["4 GiB of memory", VECTOR.phc.replace("m=19456", "m=4194304")],
  ["1 GiB of memory", VECTOR.phc.replace("m=19456", "m=1048576")],
  ["a million passes", VECTOR.phc.replace("t=2", "t=1000000")],
  ["a 4-byte salt", VECTOR.phc.replace("c29tZXNhbHRzb21lc2FsdA", "c2FsdA")],
  ["padded base64", `${VECTOR.phc}=`],
  ["scrypt", "$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E"],
  ["garbage", "not a hash"],
  ["empty", ""],
];

/** The password-hashing port's contract; the native (Node) and WASM (Workers) adapters both run it. */
export function passwordHasherContract(name: string, open: () => Promise<PasswordHasher>): void {
  describe(`PasswordHasher contract: ${name}`, () => {
    it("hashes to an argon2id PHC string with the current parameters, salted afresh each time", async () => {
      const hasher = await open();
      const first = await hasher.hash("correct horse battery staple");
      expect(first).toMatch(CURRENT_PHC);
      const second = await hasher.hash("correct horse battery staple");
      expect(second).toMatch(CURRENT_PHC);
      expect(second).not.toBe(first);
      expect(second.split("$")[4]).not.toBe(first.split("$")[4]);
    });

    it.each([
      ["ascii", "correct horse battery staple"],
      ["unicode", "pässwörd ✓ 密码 🔑"],
      ["empty", ""],
      ["256-character", `${"é".repeat(255)}!`],
      ["256-code-point astral", "🔑".repeat(256)],
    ])("verifies the right %s password and refuses wrong ones", async (_label, password) => {
      const hasher = await open();
      const phc = await hasher.hash(password);
      expect(await hasher.verify(phc, password)).toBe(true);
      expect(await hasher.verify(phc, `${password}x`)).toBe(false);
      expect(await hasher.verify(phc, ` ${password}`)).toBe(false);
      if (password !== "") expect(await hasher.verify(phc, password.slice(0, -1))).toBe(false);
      else expect(await hasher.verify(phc, "\0")).toBe(false);
    });

    it("hashes every UTF-8 byte of a non-ASCII password", async () => {
      // A binding that passed the UTF-16 length (6) as the byte length (9) would hash only "ééé" of both.
      const hasher = await open();
      const phc = await hasher.hash("éééxyz");
      expect(await hasher.verify(phc, "éééabc")).toBe(false);
      expect(await hasher.verify(phc, "éééxyz")).toBe(true);
    });

    it("does not normalise Unicode: NFC and NFD spellings are different passwords (callers normalise if they want to)", async () => {
      const hasher = await open();
      const nfc = "café".normalize("NFC");
      const nfd = "café".normalize("NFD");
      expect(nfc).not.toBe(nfd);
      const phc = await hasher.hash(nfc);
      expect(await hasher.verify(phc, nfc)).toBe(true);
      expect(await hasher.verify(phc, nfd)).toBe(false);
    });

    it.each(KNOWN_VECTORS)("verifies the reference implementation's vector $phc", async ({ phc, password }) => {
      const hasher = await open();
      expect(await hasher.verify(phc, password)).toBe(true);
      expect(await hasher.verify(phc, password.toUpperCase())).toBe(false);
    });

    it.each(FOREIGN_PHC)("resolves false at once for a %s string, without throwing", async (_label, phc) => {
      const hasher = await open();
      const started = performance.now();
      await expect(hasher.verify(phc, VECTOR.password)).resolves.toBe(false);
      // No argon2 run at all (one at today's parameters takes 10 ms or more).
      expect(performance.now() - started).toBeLessThan(50);
    });

    it("resolves false for a damaged hash of the right shape", async () => {
      const hasher = await open();
      const damaged = VECTOR.phc.replace(/.$/, (c) => (c === "A" ? "B" : "A"));
      await expect(hasher.verify(damaged, VECTOR.password)).resolves.toBe(false);
      const otherSalt = VECTOR.phc.replace("c29tZXNhbHRzb21lc2FsdA", "c2FsdHNhbHRzYWx0c2FsdA");
      await expect(hasher.verify(otherSalt, VECTOR.password)).resolves.toBe(false);
    });
  });
}
