import { X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { Random } from "../../src/core/ports/clock.js";
import { cryptoRandom } from "../../src/core/ports/clock.js";
import { createSpKeyPair } from "../../src/core/saml/sp-certificate.js";

/** Random bytes all `byte`: the serial numbers whose DER form needs care. */
const constant = (byte: number): Random => ({ ...cryptoRandom, bytes: (n) => new Uint8Array(n).fill(byte) });

describe("the SP certificate", () => {
  it("has a serial number OpenSSL parses whatever the random bytes (positive, shortest DER)", async () => {
    for (const byte of [0x00, 0x01, 0x7f, 0x80, 0xff]) {
      const { certificatePem } = await createSpKeyPair("sp", constant(byte), new Date("2026-12-07T00:00:00Z"));
      const certificate = new X509Certificate(certificatePem);
      expect(certificate.subject).toBe("CN=sp");
      expect(certificate.serialNumber).toMatch(/^[4-7][0-9A-F]{31}$/);
    }
  });
});
