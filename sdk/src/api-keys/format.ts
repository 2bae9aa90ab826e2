/**
 * The authority's API-key format, reimplemented (the SDK imports nothing from
 * the service): `sk_` + 43 base62 characters (256 random bits) + 6 base62
 * characters of the CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320) of
 * those 43 characters. A mistyped, truncated or invented key fails here,
 * without a request to the authority.
 */

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const PREFIX = "sk_";
const SECRET_CHARS = 43;
const CHECKSUM_CHARS = 6;
/** What secret scanners match too (README, "API keys"). */
const SHAPE = /^sk_[0-9A-Za-z]{49}$/;

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

/** Fixed-width base62, most significant digit first: 62^6 > 2^32, so six digits hold any CRC-32. */
function base62(value: number, width: number): string {
  let out = "";
  for (let i = 0; i < width; i++) {
    out = ALPHABET[value % 62] + out;
    value = Math.floor(value / 62);
  }
  return out;
}

export type ApiKeyFormat = "ok" | "malformed" | "checksum";

/** Whether `text` has the shape and the checksum of an API key; says nothing about whether the key exists. */
export function apiKeyFormat(text: unknown): ApiKeyFormat {
  if (typeof text !== "string" || !SHAPE.test(text)) return "malformed";
  const secret = text.slice(PREFIX.length, PREFIX.length + SECRET_CHARS);
  return text.slice(PREFIX.length + SECRET_CHARS) === base62(crc32(secret), CHECKSUM_CHARS) ? "ok" : "checksum";
}

export const isWellFormedApiKey = (text: unknown): boolean => apiKeyFormat(text) === "ok";

/** True for anything that looks meant as an API key (the middleware sends those to the API-key verifier). */
export const looksLikeApiKey = (text: string): boolean => text.startsWith(PREFIX);
