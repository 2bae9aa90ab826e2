/**
 * base64url (RFC 4648 §5) by table, without padding: what JOSE and our tokens
 * use, and every refresh encodes and decodes a dozen values (a JWT, its
 * signature, token bodies, MACs, the sealed successor). The characters are
 * written as ASCII bytes and read back as one flat string: no string is
 * joined piece by piece.
 */
export const utf8 = new TextEncoder();
export const fromUtf8 = new TextDecoder("utf-8", { fatal: true });

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const CODES = Uint8Array.from(ALPHABET, (ch) => ch.charCodeAt(0));

/** The length of the base64url text of `bytes` bytes, unpadded. */
export const base64UrlLength = (bytes: number): number => Math.ceil((bytes * 4) / 3);

/** Writes the base64url of `bytes` into `out` from `at` as ASCII codes (room: base64UrlLength); the offset after. */
export function writeBase64Url(bytes: Uint8Array, out: Uint8Array, at: number): number {
  const whole = bytes.length - (bytes.length % 3);
  let i = 0;
  let o = at;
  for (; i < whole; i += 3) {
    const v = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number);
    out[o++] = CODES[v >>> 18] as number;
    out[o++] = CODES[(v >>> 12) & 63] as number;
    out[o++] = CODES[(v >>> 6) & 63] as number;
    out[o++] = CODES[v & 63] as number;
  }
  if (i + 1 === bytes.length) {
    const v = bytes[i] as number;
    out[o++] = CODES[v >>> 2] as number;
    out[o++] = CODES[(v & 3) << 4] as number;
  } else if (i + 2 === bytes.length) {
    const v = ((bytes[i] as number) << 8) | (bytes[i + 1] as number);
    out[o++] = CODES[v >>> 10] as number;
    out[o++] = CODES[(v >>> 4) & 63] as number;
    out[o++] = CODES[(v & 15) << 2] as number;
  }
  return o;
}

/** Reused by the synchronous functions below only (never across an await), and never handed out. */
let scratch = new Uint8Array(1024);
/** Past this, a buffer of the call's own: one large value must not keep its size in memory for good. */
const SCRATCH_MAX = 16 * 1024;
const scratchOf = (length: number) => {
  if (length > SCRATCH_MAX) return new Uint8Array(length);
  if (scratch.length < length) scratch = new Uint8Array(SCRATCH_MAX);
  return scratch;
};

/**
 * Writes the base64url of a text's UTF-8 bytes into `out` from `at` (room:
 * base64UrlLength(3 × text.length)); the offset after. encodeInto fills a
 * reused buffer where encode would allocate one per call.
 */
export function writeBase64UrlOfText(text: string, out: Uint8Array, at: number): number {
  const bytes = scratchOf(text.length * 3);
  const { written } = utf8.encodeInto(text, bytes);
  return writeBase64Url(bytes.subarray(0, written), out, at);
}

export function toBase64Url(bytes: Uint8Array): string {
  const out = scratchOf(base64UrlLength(bytes.length));
  return fromUtf8.decode(out.subarray(0, writeBase64Url(bytes, out, 0)));
}

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));

/** Lowercase hex, by table: ids and trace ids are drawn as hex on every request. */
export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += HEX[b] as string;
  return out;
}

/** Each character's 6 bits, -1 when it is none of base64's; both alphabets (url-safe and standard) are read. */
const VALUES = new Int8Array(128).fill(-1);
for (let i = 0; i < 64; i++) VALUES[ALPHABET.charCodeAt(i)] = i;
VALUES["+".charCodeAt(0)] = 62;
VALUES["/".charCodeAt(0)] = 63;
const EQUALS = 61;

/**
 * Decodes base64url (or standard base64, padded or not); undefined when the
 * text is not base64: a character outside both alphabets, `=` anywhere but
 * at the end, or a length no encoding has. Bits past the last whole byte
 * are ignored, as atob does.
 */
export function fromBase64Url(text: string): Uint8Array<ArrayBuffer> | undefined {
  let end = text.length;
  let padding = 0;
  while (padding < 2 && end > 0 && text.charCodeAt(end - 1) === EQUALS) {
    end--;
    padding++;
  }
  // A final group of one character holds no byte; padding must not overrun the group.
  const tail = end % 4;
  if (tail === 1 || (tail === 0 && padding > 0) || (tail === 3 && padding > 1)) return undefined;
  const out = new Uint8Array((end * 3) >> 2);
  let bits = 0;
  let held = 0;
  let o = 0;
  for (let i = 0; i < end; i++) {
    const code = text.charCodeAt(i);
    const value = code < 128 ? (VALUES[code] as number) : -1;
    if (value < 0) return undefined;
    held = ((held << 6) | value) & 0x3fff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (held >> bits) & 0xff;
    }
  }
  return out;
}
