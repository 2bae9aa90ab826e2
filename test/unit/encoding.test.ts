/** base64url and hex by table (core/crypto/encoding.ts): RFC 4648 vectors, round trips, and what decoding accepts. */
import { describe, expect, it } from "vitest";
import {
  base64UrlLength,
  fromBase64Url,
  toBase64Url,
  toHex,
  writeBase64Url,
  writeBase64UrlOfText,
} from "../../src/core/crypto/encoding.js";

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

  it("writes into a buffer at an offset, leaving the bytes around it alone, in base64UrlLength characters", () => {
    for (const input of ["", "f", "fo", "foo", "foobar", "x".repeat(1000)]) {
      const out = new Uint8Array(base64UrlLength(input.length) + 4).fill(33);
      const end = writeBase64Url(bytes(input), out, 2);
      expect(end - 2).toBe(base64UrlLength(input.length));
      expect(Buffer.from(out.subarray(2, end)).toString("latin1")).toBe(Buffer.from(input).toString("base64url"));
      expect([out[0], out[1], out[end], out[end + 1]]).toEqual([33, 33, 33, 33]);
    }
  });

  it("writes a text as its UTF-8 bytes, non-ASCII and longer than the reused buffer included", () => {
    // A lone surrogate (ill-formed UTF-16) is written as U+FFFD, as TextEncoder and Buffer do.
    for (const text of ["", '{"sub":"u"}', "Zoë ✓ 😀", "a\uD800b", "é".repeat(5000)]) {
      const out = new Uint8Array(base64UrlLength(3 * text.length));
      const end = writeBase64UrlOfText(text, out, 0);
      expect(Buffer.from(out.subarray(0, end)).toString("latin1")).toBe(
        Buffer.from(text, "utf8").toString("base64url"),
      );
    }
  });

  it("encodes inputs longer than the reused buffer, and past its bound, then a short one, each whole", () => {
    for (const length of [5_000, 20_000]) {
      const long = Uint8Array.from({ length }, (_, i) => i & 255);
      expect(toBase64Url(long)).toBe(Buffer.from(long).toString("base64url"));
      expect(toBase64Url(bytes("foo"))).toBe("Zm9v");
    }
  });
});

describe("hex", () => {
  it("is lowercase, two digits a byte, and agrees with Node's encoder on every byte", () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(toHex(all)).toBe(Buffer.from(all).toString("hex"));
    expect(toHex(new Uint8Array(0))).toBe("");
  });
});
