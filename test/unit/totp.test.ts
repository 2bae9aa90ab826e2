import { describe, expect, it } from "vitest";
import { canonicalRecoveryCode, newRecoveryCodes } from "../../src/core/mfa/recovery-codes.js";
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
  it("makes ten distinct xxxxx-xxxxx base32 codes and reads them back however typed", () => {
    let n = 0;
    const random = {
      bytes: (length: number) => Uint8Array.from({ length }, () => n++ % 256),
      uuid: () => crypto.randomUUID(),
    };
    const codes = newRecoveryCodes(random);
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[a-z2-7]{5}-[a-z2-7]{5}$/);
    expect(codes[0]).toBe("abcde-fghij");
    expect(canonicalRecoveryCode(" ABCDE-fghij ")).toBe("abcdefghij");
    expect(canonicalRecoveryCode("abcde fghij")).toBe("abcdefghij");
    expect(canonicalRecoveryCode("abcde-fghi1")).toBeNull();
    expect(canonicalRecoveryCode("abcde-fghijk")).toBeNull();
  });
});
