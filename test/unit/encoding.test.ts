/** base64url by table (core/crypto/encoding.ts): RFC 4648 vectors, round trips, and what decoding accepts. */
import { describe, expect, it } from "vitest";
import { fromBase64Url, toBase64Url } from "../../src/core/crypto/encoding.js";

const bytes = (text: string) => new TextEncoder().encode(text);

describe("base64url", () => {
  it("encodes the RFC 4648 §10 vectors without padding", () => {
    const vectors = ["", "f", "fo", "foo", "foob", "fooba", "foobar"];
    expect(vectors.map((v) => toBase64Url(bytes(v)))).toEqual([
      "",
      "Zg",
      "Zm8",
      "Zm9v",
      "Zm9vYg",
      "Zm9vYmE",
      "Zm9vYmFy",
    ]);
  });

  it("uses the url-safe alphabet and agrees with Node's encoder on every length and byte", () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    for (let length = 0; length <= 256; length++) {
      const input = all.subarray(256 - length);
      const text = toBase64Url(input);
      expect(text).toBe(Buffer.from(input).toString("base64url"));
      expect(fromBase64Url(text)).toEqual(new Uint8Array(input));
    }
  });

  it("decodes standard base64 too, padded or not", () => {
    const input = Uint8Array.from([0xfb, 0xff, 0xbf, 0xfe]);
    expect(fromBase64Url("+/+//g==")).toEqual(input);
    expect(fromBase64Url("+/+//g")).toEqual(input);
    expect(fromBase64Url("-_-__g")).toEqual(input);
    expect(fromBase64Url("Zm8=")).toEqual(bytes("fo"));
  });

  it("refuses what no encoding produces", () => {
    for (const text of ["Z", "Zm9vY", "Zm9v=", "Zg===", "Zm8==", "Zm 9v", "Zm9v.", "Zm=v", "Zé9v", "=="]) {
      expect(fromBase64Url(text), text).toBeUndefined();
    }
  });
});
