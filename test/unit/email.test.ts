/**
 * The email rule's verdicts and lookup keys: characters not every runtime
 * knows are refused (so Node and workerd agree; test/runtime/email.worker.test.ts
 * checks the same inside workerd), and refused addresses' lookup keys.
 */
import { describe, expect, it } from "vitest";
import { checkEmail, isPlausibleEmail, lookupKeysOf } from "../../src/core/accounts/email.js";
import { hasIdnaDifference, hasLaterCharacter } from "../../src/core/accounts/unicode-shared.js";

const UNASSIGNED = "must not contain unassigned or private-use characters";

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
