/**
 * base64url (RFC 4648 §5) by table, without padding: what JOSE and our tokens
 * use, and every refresh encodes and decodes a dozen values (a JWT, its
 * signature, token bodies, MACs, hashes, the sealed successor). Strings are
 * built two characters (12 bits) at a time; no intermediate binary string.
 */
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const PAIRS = Array.from({ length: 4096 }, (_, i) => `${ALPHABET[i >> 6]}${ALPHABET[i & 63]}`);

export function toBase64Url(bytes: Uint8Array): string {
  let out = "";
  const whole = bytes.length - (bytes.length % 3);
  let i = 0;
  for (; i < whole; i += 3) {
    const v = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number);
    out += (PAIRS[v >> 12] as string) + (PAIRS[v & 4095] as string);
  }
  if (i + 1 === bytes.length) {
    out += PAIRS[(bytes[i] as number) << 4];
  } else if (i + 2 === bytes.length) {
    const v = ((bytes[i] as number) << 10) | ((bytes[i + 1] as number) << 2);
    out += (PAIRS[v >> 6] as string) + ALPHABET[v & 63];
  }
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

export const utf8 = new TextEncoder();
export const fromUtf8 = new TextDecoder("utf-8", { fatal: true });
