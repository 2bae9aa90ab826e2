/**
 * Which JWKS entries may verify tokens, shared by every runtime. A key is
 * usable only for the one algorithm its type and curve imply (RFC 8725 §3.1:
 * an RSA key never verifies an ES256 token, an EC key never an HS256 one),
 * only when it is meant for signatures, and only by its public members.
 */
import type { PublicJwk } from "./signature-types.js";
import { type Algorithm, SUPPORTED_ALGORITHMS } from "./types.js";

export interface UsableJwk {
  kid: string;
  alg: Algorithm;
  jwk: PublicJwk;
  /** Identity of the key material, to reuse an imported key across JWKS fetches. */
  fingerprint: string;
}

const MAX_KID_LENGTH = 256;
/** Base64url length of 32 bytes: P-256 coordinates and Ed25519 public keys. */
const COORDINATE_LENGTH = 43;
const B64URL = /^[A-Za-z0-9_-]+$/;

const isB64 = (value: unknown, length?: number): value is string =>
  typeof value === "string" && B64URL.test(value) && (length === undefined || value.length === length);

export const isKid = (value: unknown): value is string =>
  typeof value === "string" && value.length > 0 && value.length <= MAX_KID_LENGTH;

/** Bits of an unsigned big-endian integer given as base64url (RFC 7518 §6.3.1.1), from its text alone. */
function modulusBits(n: string): number {
  const full = Math.floor((n.length * 6) / 8);
  const first = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".indexOf(n[0] ?? "A");
  // Leading zero bits of the first character (6 bits each) lower the count; a zero first character
  // means a leading zero byte, which RFC 7518 forbids: counted as short.
  const leadingZeros = first === 0 ? 6 : 5 - Math.floor(Math.log2(first));
  return full * 8 - leadingZeros;
}

function publicMembers(jwk: Record<string, unknown>, alg: Algorithm): PublicJwk | null {
  switch (alg) {
    case "RS256": {
      if (jwk.kty !== "RSA" || !isB64(jwk.n) || !isB64(jwk.e)) return null;
      // RFC 7518 §3.3: 2048 bits or larger; 16384 bounds the cost of hostile keys.
      const bits = modulusBits(jwk.n);
      if (bits < 2048 || bits > 16_384) return null;
      return { kty: "RSA", n: jwk.n, e: jwk.e };
    }
    case "ES256":
      if (jwk.kty !== "EC" || jwk.crv !== "P-256") return null;
      if (!isB64(jwk.x, COORDINATE_LENGTH) || !isB64(jwk.y, COORDINATE_LENGTH)) return null;
      return { kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y };
    case "EdDSA":
      if (jwk.kty !== "OKP" || jwk.crv !== "Ed25519" || !isB64(jwk.x, COORDINATE_LENGTH)) return null;
      return { kty: "OKP", crv: "Ed25519", x: jwk.x };
  }
}

/** The algorithm a key's type implies when the JWK names none (the authority always names it). */
function impliedAlgorithm(jwk: Record<string, unknown>): Algorithm | null {
  if (jwk.kty === "RSA") return "RS256";
  if (jwk.kty === "EC" && jwk.crv === "P-256") return "ES256";
  if (jwk.kty === "OKP" && jwk.crv === "Ed25519") return "EdDSA";
  return null;
}

/** The entry as a usable verification key, or null when it must never verify anything here. */
export function usableJwk(entry: unknown, allowed: ReadonlySet<Algorithm>): UsableJwk | null {
  if (typeof entry !== "object" || entry === null || Array.isArray(entry)) return null;
  const jwk = entry as Record<string, unknown>;
  if (!isKid(jwk.kid)) return null;
  // RFC 7517 §4.2, §4.3: a key for encryption, or not for "verify", is not a signature key.
  if (jwk.use !== undefined && jwk.use !== "sig") return null;
  if (jwk.key_ops !== undefined && !(Array.isArray(jwk.key_ops) && jwk.key_ops.includes("verify"))) return null;
  const alg = jwk.alg === undefined ? impliedAlgorithm(jwk) : (jwk.alg as Algorithm);
  if (!alg || !SUPPORTED_ALGORITHMS.includes(alg) || !allowed.has(alg)) return null;
  const members = publicMembers(jwk, alg);
  if (!members) return null;
  return { kid: jwk.kid, alg, jwk: members, fingerprint: `${alg}:${JSON.stringify(members)}` };
}
