/** The compact serialization core/signing/jws.ts writes: the signer's input, the signature's place, any length. */
import { describe, expect, it } from "vitest";
import type { JwsSigning, PrivateSigningKey } from "../../src/core/ports/crypto.js";
import { signCompactJws } from "../../src/core/signing/jws.js";

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
