import { describe, expect, it } from "vitest";
import { sha256Hex } from "../../src/core/crypto/digest.js";
import {
  newRecoveryCodes,
  recoveryCodeCandidates,
  saltEarlierHash,
  storedRecoveryCodes,
} from "../../src/core/mfa/recovery-codes.js";
import { base32Secret, matchingStep, totpCode, totpKeyUri, totpStep } from "../../src/core/mfa/totp.js";

const secret = new TextEncoder().encode("12345678901234567890");

describe("TOTP (RFC 6238)", () => {
  // Appendix B, SHA-1 column: the 8-digit values' last 6 digits (RFC 4226 §5.4 truncation is mod 10^digits).
  const vectors: [number, string][] = [
    [59, "94287082"],
    [1111111109, "07081804"],
    [1111111111, "14050471"],
    [1234567890, "89005924"],
    [2000000000, "69279037"],
    [20000000000, "65353130"],
  ];

  it.each(vectors)("at %i s computes the Appendix B code %s (6-digit truncation)", (seconds, eight) => {
    const now = new Date(seconds * 1000);
    expect(totpCode(secret, totpStep(now))).toBe(eight.slice(2));
    expect(matchingStep(secret, eight.slice(2), now)).toBe(totpStep(now));
  });

  it("accepts the codes of one step either side of now, latest matching first, and nothing further", () => {
    const now = new Date(1111111111 * 1000);
    const step = totpStep(now);
    expect(matchingStep(secret, totpCode(secret, step - 1), now)).toBe(step - 1);
    expect(matchingStep(secret, totpCode(secret, step + 1), now)).toBe(step + 1);
    expect(matchingStep(secret, totpCode(secret, step - 2), now)).toBeNull();
    expect(matchingStep(secret, totpCode(secret, step + 2), now)).toBeNull();
  });

  it("refuses input that is not six digits", () => {
    const now = new Date(59_000);
    expect(matchingStep(secret, "94287082", now)).toBeNull();
    expect(matchingStep(secret, " 287082", now)).toBeNull();
    expect(matchingStep(secret, "", now)).toBeNull();
  });

  it("writes the Key URI with issuer, base32 secret and the parameters apps need", () => {
    const text = totpKeyUri("Acme Corp", "ada@example.com", secret);
    expect(text.startsWith("otpauth://totp/Acme%20Corp:ada%40example.com?")).toBe(true);
    const uri = new URL(text);
    expect(Object.fromEntries(uri.searchParams)).toEqual({
      secret: "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
      issuer: "Acme Corp",
      algorithm: "SHA1",
      digits: "6",
      period: "30",
    });
    expect(base32Secret(secret)).toBe("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
  });
});

describe("recovery codes", () => {
  const tenantId = "6f1c2a44-0000-4000-8000-000000000001";
  const userId = "6f1c2a44-0000-4000-8000-000000000002";
  let n = 0;
  const counting = {
    bytes: (length: number) => Uint8Array.from({ length }, () => n++ % 256),
    uuid: () => crypto.randomUUID(),
  };

  it("makes ten distinct codes of 24 base32 characters (120 bits) in groups of four", () => {
    n = 0;
    const counted = newRecoveryCodes(counting);
    // One byte a character, its low five bits: all 32 symbols, 5 bits each, 24 × 5 = 120 ≥ 112 (SP 800-63B §5.1.2.2).
    expect(counted[0]).toBe("abcd-efgh-ijkl-mnop-qrst-uvwx");
    expect(counted[1]).toBe("yz23-4567-abcd-efgh-ijkl-mnop");
    expect(new Set(counted.join("").replaceAll("-", "")).size).toBe(32);
    const codes = newRecoveryCodes({
      bytes: (length) => crypto.getRandomValues(new Uint8Array(length)),
      uuid: () => "",
    });
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[a-z2-7]{4}(-[a-z2-7]{4}){5}$/);
  });

  it("stores a code salted with its tenant and user, never as its bare SHA-256", async () => {
    const [code = ""] = newRecoveryCodes(counting);
    const [stored = ""] = await storedRecoveryCodes(tenantId, userId, [code]);
    expect(stored).toMatch(/^v2:[0-9a-f]{64}$/);
    expect(stored).not.toContain(await sha256Hex(code.replaceAll("-", "")));
    expect(stored).not.toContain(await sha256Hex(code));
    // Another user (or tenant) with the same code stores another value: one search cannot cover both.
    expect(await storedRecoveryCodes(userId, tenantId, [code])).not.toEqual([stored]);
    expect(await storedRecoveryCodes(tenantId, tenantId, [code])).not.toEqual([stored]);
    expect(await recoveryCodeCandidates(tenantId, userId, code)).toEqual([stored]);
  });

  it("reads a code back however typed: case, dashes and spaces do not matter", async () => {
    const code = "abcd-efgh-ijkl-mnop-qrst-uvwx";
    const [stored] = await storedRecoveryCodes(tenantId, userId, [code]);
    for (const typed of [
      code,
      " ABCD-EFGH-ijkl-MNOP-qrst-uvwx ",
      "abcdefghijklmnopqrstuvwx",
      "abcd efgh ijkl mnop qrst uvwx",
      "abcd - efgh-ijklmnopqrst\tuvwx",
    ]) {
      expect(await recoveryCodeCandidates(tenantId, userId, typed)).toEqual([stored]);
    }
    for (const wrong of [
      "abcd-efgh-ijkl-mnop-qrst-uvw1",
      "abcd-efgh-ijkl-mnop-qrst-uvwxy",
      "abcd-efgh",
      "",
      "é".repeat(24),
    ]) {
      expect(await recoveryCodeCandidates(tenantId, userId, wrong)).toBeNull();
    }
  });

  it("still reads an earlier release's 10-character code: salted (migration 0019) or bare", async () => {
    const bare = await sha256Hex("abcdefghij");
    const salted = await saltEarlierHash(tenantId, userId, bare);
    expect(salted).toMatch(/^v1:[0-9a-f]{64}$/);
    for (const typed of ["abcde-fghij", " ABCDE-fghij ", "abcde fghij", "abcdefghij"]) {
      expect(await recoveryCodeCandidates(tenantId, userId, typed)).toEqual([salted, bare]);
    }
    expect(await recoveryCodeCandidates(tenantId, userId, "abcde-fghi1")).toBeNull();
    expect(await recoveryCodeCandidates(tenantId, userId, "abcde-fghijk")).toBeNull();
  });
});
