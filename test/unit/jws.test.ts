/** The compact serialization core/signing/jws.ts writes: the signer's input, the signature's place, any length. */
import { describe, expect, it } from "vitest";
import type { JwsSigning, PrivateSigningKey } from "../../src/core/ports/crypto.js";
import { isCompactJws, signCompactJws } from "../../src/core/signing/jws.js";

const key: PrivateSigningKey = { adapter: "test", alg: "ES256" };
const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64url");

/** A signer that records its input and answers `length` bytes counting up. */
function signer(length: number) {
  const inputs: string[] = [];
  const signing: JwsSigning = {
    importSigningKey: async () => key,
    jwsSignature: async (_key, input) => {
      inputs.push(Buffer.from(input).toString("latin1"));
      return Uint8Array.from({ length }, (_, i) => i & 255);
    },
  };
  return { signing, inputs };
}

describe("signCompactJws", () => {
  it("signs BASE64URL(header).BASE64URL(payload) and appends the signature's base64url, for every signature length", async () => {
    const payload = { sub: "Zoë ✓ 😀", n: 1 };
    // 64 (ES256, EdDSA), 256 and 512 (RS256, 2048 and 4096 bits), and lengths past the room kept for one.
    for (const length of [0, 1, 2, 64, 256, 512, 513, 700, 2048]) {
      const { signing, inputs } = signer(length);
      const token = await signCompactJws(signing, key, { typ: "at+jwt", kid: "k1" }, payload);
      const input = `${b64(JSON.stringify({ typ: "at+jwt", kid: "k1", alg: "ES256" }))}.${b64(JSON.stringify(payload))}`;
      expect(inputs).toEqual([input]);
      const signature = Buffer.from(Uint8Array.from({ length }, (_, i) => i & 255)).toString("base64url");
      expect(token, `signature of ${length} bytes`).toBe(`${input}.${signature}`);
    }
  });

  it("takes alg from the key, never from the caller's header", async () => {
    const { signing } = signer(64);
    const token = await signCompactJws(signing, key, { alg: "none", typ: "JWT" }, {});
    const header = JSON.parse(Buffer.from(token.split(".")[0] ?? "", "base64url").toString("utf8"));
    expect(header).toEqual({ alg: "ES256", typ: "JWT" });
  });

  it("writes a payload far larger than the reused buffers", async () => {
    const { signing } = signer(64);
    const payload = { big: "é😀".repeat(4000) };
    const token = await signCompactJws(signing, key, {}, payload);
    expect(JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8"))).toEqual(payload);
  });
});

describe("isCompactJws (RFC 7515 §2, §7.1: unpadded base64url, three segments)", () => {
  const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

  it("accepts every token signCompactJws writes, whatever the segments' lengths", async () => {
    for (const length of [1, 2, 3, 64, 256, 513]) {
      for (const sub of ["a", "ab", "abc"]) {
        const token = await signCompactJws(signer(length).signing, key, { typ: "at+jwt" }, { sub });
        expect(isCompactJws(token), token).toBe(true);
      }
    }
  });

  it("refuses padding, whitespace, the standard alphabet, and other than three segments (an empty header or payload)", async () => {
    const token = await signCompactJws(signer(64).signing, key, { typ: "at+jwt" }, { sub: "x" });
    const [h, p, s] = token.split(".") as [string, string, string];
    const variants = [
      `${token}==`,
      `${token}=`,
      `${h}=.${p}.${s}`,
      `${h}.${p.slice(0, 3)} ${p.slice(3)}.${s}`,
      `${h}.${p}.${s.slice(0, 5)}\n${s.slice(5)}`,
      `${h.slice(0, 2)}\t${h.slice(2)}.${p}.${s}`,
      ` ${token}`,
      `${token}\n`,
      `${h}.${p}.${s.replace(/[-_]/g, "+")}/`,
      `${h}.${p}`,
      `.${p}.${s}`,
      `${token}.${s}`,
      `${h}.${p}.${s}AAA`, // 4n+1 characters: the last holds no whole byte
      "",
    ];
    for (const variant of variants) expect(isCompactJws(variant), JSON.stringify(variant)).toBe(false);
    // An empty signature is a shape (alg none), refused later for its algorithm, as the SDK does.
    expect(isCompactJws(`${h}.${p}.`)).toBe(true);
  });

  it("refuses a last character with spare bits set: exactly the texts Buffer would not write back (RFC 4648 §3.5)", () => {
    const header = Buffer.from('{"alg":"ES256"}').toString("base64url");
    let canonical = 0;
    for (const body of ["Q", "QU"]) {
      for (const last of ALPHABET) {
        const segment = `${body}${last}`;
        const written = Buffer.from(segment, "base64url").toString("base64url") === segment;
        if (written) canonical++;
        expect(isCompactJws(`${header}.e30.${segment}`), segment).toBe(written);
        expect(isCompactJws(`${segment}.e30.${header}`), segment).toBe(written);
      }
    }
    // 4 of 64 after two characters (one byte), 16 of 64 after three (two bytes).
    expect(canonical).toBe(20);
  });
});
