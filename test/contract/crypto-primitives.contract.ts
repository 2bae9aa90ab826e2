import { createHmac } from "node:crypto";
import { compactVerify, exportJWK, generateKeyPair } from "jose";
import { describe, expect, it } from "vitest";
import type { CryptoPrimitives } from "../../src/core/ports/crypto.js";
import { signCompactJws } from "../../src/core/signing/jws.js";

const hex = (text: string) => Uint8Array.from(text.match(/../g) ?? [], (h) => Number.parseInt(h, 16));
const toHex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
const utf8 = (text: string) => new TextEncoder().encode(text);

/** The symmetric primitives port: every adapter gives the published test vectors' bytes. */
export function cryptoPrimitivesContract(primitives: CryptoPrimitives): void {
  describe(`CryptoPrimitives contract: ${primitives.name}`, () => {
    it("SHA-256 (FIPS 180-2 'abc')", async () => {
      expect(toHex(await primitives.sha256(utf8("abc")))).toBe(
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
      );
    });

    it("HKDF-SHA-256 with an empty salt (RFC 5869, test case 3)", async () => {
      const okm = await primitives.hkdf(hex("0b".repeat(22)), new Uint8Array(0), 42);
      expect(toHex(okm)).toBe("8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
    });

    it("SHA-256 of a text, hex and base64url (FIPS 180-2 'abc'; a non-ASCII text hashed as its UTF-8 bytes)", async () => {
      const abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
      expect(await primitives.sha256Text("abc", "hex")).toBe(abc);
      expect(await primitives.sha256Text("abc", "base64url")).toBe(Buffer.from(abc, "hex").toString("base64url"));
      const text = "Zoë ✓ 😀";
      expect(await primitives.sha256Text(text, "hex")).toBe(toHex(await primitives.sha256(utf8(text))));
      // Ill-formed UTF-16 (lone surrogates) hashes as TextEncoder's bytes (U+FFFD), so both runtimes index it alike.
      const lone = "a\uD800b\uDC00";
      expect(await primitives.sha256Text(lone, "hex")).toBe(toHex(await primitives.sha256(utf8(lone))));
      expect(await primitives.sha256Text("", "hex")).toBe(
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      );
    });

    it("HMAC-SHA-256 of a text, base64url (RFC 4231, test cases 2 and 6; a non-ASCII text as its UTF-8 bytes)", async () => {
      const jefe = await primitives.hmacKey(utf8("Jefe"));
      const b64 = (hexText: string) => Buffer.from(hexText, "hex").toString("base64url");
      expect(await primitives.hmacSha256(jefe, "what do ya want for nothing?")).toBe(
        b64("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
      );
      const long = await primitives.hmacKey(hex("aa".repeat(131)));
      expect(await primitives.hmacSha256(long, "Test Using Larger Than Block-Size Key - Hash Key First")).toBe(
        b64("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
      );
      const text = "refresh-token\u0000Zoë ✓ 😀";
      const expected = createHmac("sha256", "Jefe").update(Buffer.from(text, "utf8")).digest("base64url");
      expect(await primitives.hmacSha256(jefe, text)).toBe(expected);
      const lone = "users.email\u0000a\uD800@example.com";
      const replaced = createHmac("sha256", "Jefe").update(utf8(lone)).digest("base64url");
      expect(await primitives.hmacSha256(jefe, lone)).toBe(replaced);
    });

    it("AES-256-GCM (the GCM spec's test case 16: 256-bit key, 96-bit IV, associated data)", async () => {
      const key = await primitives.aesGcmKey(hex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308"));
      const iv = hex("cafebabefacedbaddecaf888");
      const plaintext = hex(
        "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
      );
      const aad = hex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
      const sealed = await primitives.aesGcmEncrypt(key, iv, plaintext, aad);
      expect(toHex(sealed)).toBe(
        "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662" +
          "76fc6ece0f4e1768cddf8853bb2d551b",
      );
      expect(await primitives.aesGcmDecrypt(key, iv, sealed, aad)).toEqual(plaintext);
    });

    it("refuses AES-GCM data that was tampered with, or opened with other associated data, IV or key", async () => {
      const key = await primitives.aesGcmKey(new Uint8Array(32).fill(7));
      const other = await primitives.aesGcmKey(new Uint8Array(32).fill(8));
      const iv = new Uint8Array(12).fill(1);
      const sealed = await primitives.aesGcmEncrypt(key, iv, utf8("secret"), utf8("place"));
      const flipped = Uint8Array.from(sealed);
      flipped[0] = (flipped[0] as number) ^ 1;
      await expect(primitives.aesGcmDecrypt(key, iv, flipped, utf8("place"))).rejects.toThrow();
      await expect(primitives.aesGcmDecrypt(key, iv, sealed, utf8("elsewhere"))).rejects.toThrow();
      await expect(primitives.aesGcmDecrypt(key, new Uint8Array(12), sealed, utf8("place"))).rejects.toThrow();
      await expect(primitives.aesGcmDecrypt(other, iv, sealed, utf8("place"))).rejects.toThrow();
      await expect(primitives.aesGcmDecrypt(key, iv, sealed.subarray(0, 8), utf8("place"))).rejects.toThrow();
      await expect(primitives.aesGcmKey(new Uint8Array(16))).rejects.toThrow(/32-byte/);
    });

    it("returns bytes of its own (no view into a shared pool)", async () => {
      const digest = await primitives.sha256(utf8("x"));
      expect(digest.byteOffset).toBe(0);
      expect(digest.buffer.byteLength).toBe(32);
    });
  });
}

/** JWS signing: for each algorithm, an independent verifier (jose) accepts what the adapter signed. */
export function jwsSigningContract(primitives: CryptoPrimitives): void {
  describe(`JwsSigning contract: ${primitives.name}`, () => {
    const options = { RS256: { modulusLength: 2048 }, ES256: {}, EdDSA: { crv: "Ed25519" } } as const;
    for (const alg of ["RS256", "ES256", "EdDSA"] as const) {
      it(`${alg}: a compact JWS that jose verifies, with the key's alg whatever the header says`, async () => {
        const { publicKey, privateKey } = await generateKeyPair(alg, { ...options[alg], extractable: true });
        const key = await primitives.importSigningKey((await exportJWK(privateKey)) as Record<string, unknown>, alg);
        const token = await signCompactJws(primitives, key, { typ: "at+jwt", kid: "k1", alg: "none" }, { sub: "u" });
        const { payload, protectedHeader } = await compactVerify(token, publicKey);
        expect(protectedHeader).toEqual({ typ: "at+jwt", kid: "k1", alg });
        expect(JSON.parse(new TextDecoder().decode(payload))).toEqual({ sub: "u" });
        if (alg === "ES256") expect(Buffer.from(token.split(".")[2] ?? "", "base64url")).toHaveLength(64);
      });
    }

    it("refuses a key of another type or curve", async () => {
      const ec = await generateKeyPair("ES384", { extractable: true });
      const jwk = (await exportJWK(ec.privateKey)) as Record<string, unknown>;
      await expect(primitives.importSigningKey(jwk, "ES256")).rejects.toThrow();
      await expect(primitives.importSigningKey(jwk, "RS256")).rejects.toThrow();
    });
  });
}
