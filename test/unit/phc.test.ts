import { describe, expect, it } from "vitest";
import { needsRehash, PHC_LIMITS, parsePhc } from "../../src/core/passwords/phc.js";
import { CURRENT_ARGON2 } from "../../src/core/ports/password-hasher.js";

const b64 = (bytes: number) => btoa("s".repeat(bytes)).replace(/=+$/, "");
const SALT = b64(16);
const HASH = b64(32);
const phc = (params: string, salt = SALT, hash = HASH, prefix = "$argon2id$v=19") =>
  `${prefix}$${params}$${salt}$${hash}`;

describe("parsePhc", () => {
  it("reads argon2id v=19 parameters", () => {
    expect(parsePhc(phc("m=19456,t=2,p=1"))).toEqual({ memoryKiB: 19456, iterations: 2, parallelism: 1 });
    expect(parsePhc(phc("m=19456,t=2,p=1"))).toEqual(CURRENT_ARGON2);
  });

  it("reads a string the reference implementation wrote", () => {
    const reference =
      "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$k9ohroejZy1PN5E1SbHNPug6vB8eQAahb5SOAp6iGF4";
    expect(parsePhc(reference)).toEqual(CURRENT_ARGON2);
  });

  it.each([
    ["the largest memory, passes and lanes", phc("m=262144,t=16,p=16")],
    ["the smallest memory for its lanes", phc("m=32,t=1,p=4")],
    ["an 8-byte salt", phc("m=19456,t=2,p=1", b64(8))],
    ["a 64-byte salt", phc("m=19456,t=2,p=1", b64(64))],
    ["a 16-byte hash", phc("m=19456,t=2,p=1", SALT, b64(16))],
    ["a 64-byte hash", phc("m=19456,t=2,p=1", SALT, b64(64))],
  ])("accepts %s", (_label, text) => {
    expect(parsePhc(text)).toBeDefined();
  });

  it.each([
    ["argon2i", phc("m=19456,t=2,p=1", SALT, HASH, "$argon2i$v=19")],
    ["argon2d", phc("m=19456,t=2,p=1", SALT, HASH, "$argon2d$v=19")],
    ["version 1.0", phc("m=19456,t=2,p=1", SALT, HASH, "$argon2id$v=16")],
    ["no version", `$argon2id$m=19456,t=2,p=1$${SALT}$${HASH}`],
    ["bcrypt", "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW"],
    ["scrypt", "$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E"],
    ["memory beyond 256 MiB", phc("m=262145,t=2,p=1")],
    ["1 GiB of memory", phc("m=1048576,t=2,p=1")],
    ["4 GiB of memory", phc("m=4194304,t=2,p=1")],
    ["memory below 8 KiB per lane", phc("m=31,t=1,p=4")],
    ["zero passes", phc("m=19456,t=0,p=1")],
    ["17 passes", phc("m=19456,t=17,p=1")],
    ["a million passes", phc("m=19456,t=1000000,p=1")],
    ["zero lanes", phc("m=19456,t=2,p=0")],
    ["17 lanes", phc("m=19456,t=2,p=17")],
    ["a 7-byte salt", phc("m=19456,t=2,p=1", b64(7))],
    ["a 65-byte salt", phc("m=19456,t=2,p=1", b64(65))],
    ["a 15-byte hash", phc("m=19456,t=2,p=1", SALT, b64(15))],
    ["a 65-byte hash", phc("m=19456,t=2,p=1", SALT, b64(65))],
    ["an impossible base64 length", phc("m=19456,t=2,p=1", SALT, `${HASH}AA`.slice(0, 45))],
    ["padding", phc("m=19456,t=2,p=1", `${SALT}==`)],
    ["base64url", phc("m=19456,t=2,p=1", SALT, HASH.replace(/.$/, "_"))],
    ["an empty salt", phc("m=19456,t=2,p=1", "")],
    ["parameters out of order", phc("t=2,m=19456,p=1")],
    ["a keyid field", phc("m=19456,t=2,p=1,keyid=abc")],
    ["negative memory", phc("m=-1,t=2,p=1")],
    ["trailing data", `${phc("m=19456,t=2,p=1")}$x`],
    ["a trailing newline", `${phc("m=19456,t=2,p=1")}\n`],
    ["empty", ""],
  ])("refuses %s", (_label, text) => {
    expect(parsePhc(text)).toBeUndefined();
    expect(needsRehash(text)).toBe(true);
  });

  it("documents its bounds", () => {
    expect(PHC_LIMITS.maxMemoryKiB).toBeLessThanOrEqual(1024 * 1024);
    expect(PHC_LIMITS.saltBytes.min).toBeGreaterThanOrEqual(8);
    expect(PHC_LIMITS.hashBytes).toEqual({ min: 16, max: 64 });
  });
});

describe("needsRehash", () => {
  it.each([
    ["m=19456,t=2,p=1", false, "the current parameters"],
    ["m=65536,t=3,p=4", false, "stronger everywhere"],
    ["m=65536,t=2,p=1", false, "more memory"],
    ["m=19456,t=3,p=1", false, "more passes"],
    ["m=19456,t=2,p=2", false, "more lanes"],
    ["m=19455,t=2,p=1", true, "1 KiB less memory"],
    ["m=4096,t=2,p=1", true, "much less memory"],
    ["m=19456,t=1,p=1", true, "fewer passes"],
    ["m=65536,t=1,p=1", true, "fewer passes despite more memory"],
    ["m=12288,t=3,p=1", true, "less memory despite more passes"],
  ])("%s -> %s (%s)", (params, expected) => {
    expect(needsRehash(phc(params))).toBe(expected);
  });

  it("compares with the parameters it is given", () => {
    const stronger = { memoryKiB: 65536, iterations: 3, parallelism: 4 };
    expect(needsRehash(phc("m=19456,t=2,p=1"), stronger)).toBe(true);
    expect(needsRehash(phc("m=65536,t=3,p=4"), stronger)).toBe(false);
    expect(needsRehash(phc("m=65536,t=3,p=2"), stronger)).toBe(true);
  });
});
