/**
 * The email rule's verdicts and lookup keys: characters not every runtime
 * knows are refused (so Node and workerd agree; test/runtime/email.worker.test.ts
 * checks the same inside workerd), and the lookup key is case-folded.
 */
import { describe, expect, it } from "vitest";
import { checkEmail, isPlausibleEmail, lookupKeysOf } from "../../src/core/accounts/email.js";
import { hasIdnaDifference, hasLaterCharacter } from "../../src/core/accounts/unicode-shared.js";

const UNASSIGNED = "must not contain unassigned or private-use characters";
const keyOf = (input: string) => checkEmail(input).email?.lookupKey;

/** Code points assigned in Unicode 16.0, private use and surrogates included (what workerd 1.20260426 knows). */
const UNICODE_16_ASSIGNED = 294_579;

describe("characters not every runtime knows", () => {
  it("refuses Unicode 17 additions anywhere in the address, as unassigned", () => {
    // Tolong Siki (Unicode 17): Node 20.20 knows it, workerd does not.
    expect(checkEmail("\u{11DB0}\u{11DB1}123@example.com")).toEqual({ problem: UNASSIGNED });
    expect(checkEmail("ann@\u{11DB0}\u{11DB1}.com")).toEqual({ problem: UNASSIGNED });
    expect(checkEmail("ann\uA7CE@example.com")).toEqual({ problem: UNASSIGNED });
  });

  it("refuses a domain letter the runtimes' URL parsers map differently, and keeps it in a local part", () => {
    // Garay (Unicode 16): workerd's parser maps it to xn--dh0dc, Node 20's refuses it.
    expect(checkEmail("x123@\u{10D50}\u{10D51}.com")).toEqual({ problem: "must be a valid email address" });
    expect(checkEmail("\u{10D50}\u{10D51}@example.com").email?.address).toBe("\u{10D50}\u{10D51}@example.com");
  });

  it("assumes an engine that knows exactly Unicode 16 outside the table (regenerate the tables otherwise)", () => {
    let known = 0;
    for (let codePoint = 0; codePoint <= 0x10ffff; codePoint++) {
      const char = String.fromCodePoint(codePoint);
      if (/\p{Assigned}/u.test(char) && !hasLaterCharacter(char)) known++;
    }
    // Fewer: the engine refuses characters the other runtime accepts; more: it accepts ones the other refuses.
    expect(known).toBe(UNICODE_16_ASSIGNED);
  });

  it("tells characters in and next to the tables apart", () => {
    expect([0x11daf, 0x11db0, 0x11ddb, 0x11ddc].map((cp) => hasLaterCharacter(String.fromCodePoint(cp)))).toEqual([
      false,
      true,
      true,
      false,
    ]);
    expect([0x10d3f, 0x10d40, 0x10d66, 0x10d6f].map((cp) => hasIdnaDifference(String.fromCodePoint(cp)))).toEqual([
      false,
      true,
      false,
      true,
    ]);
    expect(hasLaterCharacter("ann@example.com")).toBe(false);
  });
});

describe("the lookup key: NFKC, then simple case folding", () => {
  it("makes final and medial sigma one address, whatever the capitals", () => {
    const key = "οσ123456@example.com";
    for (const spelling of [
      "οσ123456@example.com",
      "ος123456@example.com",
      "ΟΣ123456@example.com",
      "Οσ123456@example.com",
    ]) {
      expect(keyOf(spelling), spelling).toBe(key);
    }
  });

  it("decides per character where folding differs from toLowerCase", () => {
    expect(keyOf("\u1C80\u0430@example.com")).toBe("\u0432\u0430@example.com"); // rounded ve: в
    expect(keyOf("stra\u1E9Ee@example.com")).toBe("straße@example.com"); // ẞ: ß, not ss
    expect(keyOf("strasse@example.com")).toBe("strasse@example.com");
    expect(keyOf("\u13A0\u13A1@example.com")).toBe("\uAB70\uAB71@example.com"); // Cherokee: small letters, as before
    expect(keyOf("\uAB70\uAB71@example.com")).toBe("\uAB70\uAB71@example.com");
    expect(keyOf("ANN@Example.COM")).toBe("ann@example.com");
  });

  it("searches first the key the rule before folding made, so an account made under it keeps its row", () => {
    expect(checkEmail("ΟΣ123456@example.com").email?.searchKeys).toEqual([
      "ος123456@example.com",
      "οσ123456@example.com",
    ]);
    // Typed with a medial sigma: its own former key is the new one; the final-sigma spelling is searched last.
    expect(checkEmail("οσ123456@example.com").email?.searchKeys).toEqual([
      "οσ123456@example.com",
      "ος123456@example.com",
    ]);
    expect(checkEmail("Ann@Exämple.com").email?.searchKeys).toEqual(["ann@xn--exmple-cua.com", "ann@exämple.com"]);
  });
});

describe("addresses the rule refuses", () => {
  it("are looked up under the key rows made before the rule carry", () => {
    expect(lookupKeysOf(" \u0430NNA@Example.com ")).toEqual({
      key: "\u0430nna@example.com",
      searchKeys: ["\u0430nna@example.com"],
    });
  });

  it("with a character not every runtime knows: ASCII lower-cased, the domain in A-labels, nothing normalised", () => {
    expect(lookupKeysOf("\u{11DB0}\u{11DB1}ABC@EXÄMPLE.com").key).toBe("\u{11DB0}\u{11DB1}abc@xn--exmple-cua.com");
    expect(lookupKeysOf("\u{11DB0}\u{11DB1}@\u{10D50}.COM").key).toBe("\u{11DB0}\u{11DB1}@\u{10D50}.com");
  });

  it("have the shape of an address or not", () => {
    for (const input of ["ann@example.com", "\u{11DB0}@example.com", "\u0430nn@example", " a@b "]) {
      expect(isPlausibleEmail(input), input).toBe(true);
    }
    for (const input of [
      "",
      "ann",
      "@example.com",
      "ann@",
      "a@b@c",
      "a n@b.com",
      "a\u0000@b.com",
      `${"a".repeat(250)}@b.com`,
    ]) {
      expect(isPlausibleEmail(input), input).toBe(false);
    }
  });
});
