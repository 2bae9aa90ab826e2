import { sha256Hex } from "../crypto/digest.js";
import { webCrypto } from "../crypto/web-crypto.js";
import type { Random } from "../ports/clock.js";
import type { CryptoPrimitives } from "../ports/crypto.js";

/**
 * API keys: `sk_` + 43 base62 characters (256 bits of randomness) + 6 base62
 * characters of CRC-32 over those 43. The checksum lets a malformed or
 * mistyped key be refused without a database read, and gives secret
 * scanners a pattern with few false positives: `sk_[0-9A-Za-z]{49}` whose
 * last 6 characters are the CRC-32 of the 43 before them.
 */
const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const PREFIX = "sk_";
const SECRET_CHARS = 43;
const CHECKSUM_CHARS = 6;
const SHAPE = /^sk_[0-9A-Za-z]{49}$/;
/** Characters shown in listings: enough to tell keys apart, far too few to use one. */
const DISPLAY_CHARS = PREFIX.length + 6;

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(text: string): number {
  let crc = 0xffffffff;
  for (let i = 0; i < text.length; i++) crc = (CRC_TABLE[(crc ^ text.charCodeAt(i)) & 0xff] ?? 0) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function base62(value: number, width: number): string {
  let out = "";
  for (let i = 0; i < width; i++) {
    out = ALPHABET[value % 62] + out;
    value = Math.floor(value / 62);
  }
  return out;
}

/** Uniform base62 characters: bytes of 248 or more are dropped (248 = 4 x 62), so no character is likelier. */
function randomBase62(random: Random, count: number): string {
  let out = "";
  while (out.length < count) {
    for (const byte of random.bytes(count * 2)) {
      if (byte < 248 && out.length < count) out += ALPHABET[byte % 62];
    }
  }
  return out;
}

export function generateApiKey(random: Random): string {
  const secret = randomBase62(random, SECRET_CHARS);
  return `${PREFIX}${secret}${base62(crc32(secret), CHECKSUM_CHARS)}`;
}

/** True when the text has the shape and checksum of a key; says nothing about whether the key exists. */
export function isWellFormedApiKey(text: string): boolean {
  if (!SHAPE.test(text)) return false;
  const secret = text.slice(PREFIX.length, PREFIX.length + SECRET_CHARS);
  return text.slice(PREFIX.length + SECRET_CHARS) === base62(crc32(secret), CHECKSUM_CHARS);
}

export function displayPrefix(key: string): string {
  return key.slice(0, DISPLAY_CHARS);
}

/** Hex SHA-256 of the key: the only form stored. `primitives` is node:crypto on Node (no thread-pool hop). */
export function hashApiKey(key: string, primitives: CryptoPrimitives = webCrypto): Promise<string> {
  return sha256Hex(key, primitives);
}
