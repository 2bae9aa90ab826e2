/**
 * Workers, browsers and any runtime without the `node` condition: keys
 * imported once per JWKS fetch into non-extractable CryptoKeys (jose's
 * importJWK, which knows each runtime's algorithm names) and signatures
 * checked with `crypto.subtle.verify`.
 */
import { importJWK } from "jose";
import type { PublicJwk, SignatureBackend, VerificationKey } from "./signature-types.js";
import type { Algorithm } from "./types.js";

const encoder = new TextEncoder();
const utf8 = new TextDecoder("utf-8", { fatal: true });

/** WebCrypto parameters of each JWS algorithm (RFC 7518 §3.3, §3.4; RFC 8037 §3.1). */
const PARAMS: Record<Algorithm, AlgorithmIdentifier | EcdsaParams> = {
  RS256: { name: "RSASSA-PKCS1-v1_5" },
  ES256: { name: "ECDSA", hash: "SHA-256" },
  EdDSA: { name: "Ed25519" },
};

const asKey = (key: CryptoKey) => key as unknown as VerificationKey;
const asCryptoKey = (key: VerificationKey) => key as unknown as CryptoKey;

/** The imported key's algorithm must be the token's, whatever the JWK claimed (RFC 8725 §3.1). */
function matches(key: CryptoKey, alg: Algorithm): boolean {
  const algorithm = key.algorithm as KeyAlgorithm & { namedCurve?: string; hash?: { name: string } };
  switch (alg) {
    case "RS256":
      return algorithm.name === "RSASSA-PKCS1-v1_5" && algorithm.hash?.name === "SHA-256";
    case "ES256":
      return algorithm.name === "ECDSA" && algorithm.namedCurve === "P-256";
    case "EdDSA":
      return algorithm.name === "Ed25519" || algorithm.name === "NODE-ED25519";
  }
}

/** The native decoder where the runtime has it (TC39 Uint8Array base64, in recent V8, SpiderMonkey, JSC). */
const fromBase64 = (
  Uint8Array as unknown as { fromBase64?: (text: string, options: { alphabet: "base64url" }) => Uint8Array }
).fromBase64;

function decodeBase64Url(text: string): Uint8Array {
  // The text was checked against the base64url alphabet; both paths ignore the last character's spare bits.
  if (fromBase64) return fromBase64(text, { alphabet: "base64url" });
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export const backend: SignatureBackend = {
  name: "webcrypto",

  async importKey(jwk: PublicJwk, alg: Algorithm): Promise<VerificationKey> {
    const key = await importJWK({ ...jwk }, alg, { extractable: false });
    if (key instanceof Uint8Array || key.type !== "public" || !matches(key, alg)) {
      throw new Error(`the key is not a ${alg} public key`);
    }
    return asKey(key);
  },

  async verify(key: VerificationKey, alg: Algorithm, signingInput: string, signature: Uint8Array): Promise<boolean> {
    const cryptoKey = asCryptoKey(key);
    // Some runtimes name Ed25519 differently (NODE-ED25519): verify with the key's own algorithm.
    const params = alg === "EdDSA" ? cryptoKey.algorithm : PARAMS[alg];
    try {
      return await crypto.subtle.verify(
        params,
        cryptoKey,
        signature as Uint8Array<ArrayBuffer>,
        encoder.encode(signingInput),
      );
    } catch {
      return false;
    }
  },

  decodeBase64Url,

  decodeBase64UrlText(text: string): string | null {
    try {
      return utf8.decode(decodeBase64Url(text));
    } catch {
      return null;
    }
  },
};
