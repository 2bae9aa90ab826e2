/**
 * The symmetric cryptography the hot paths need (blind indexes, refresh-token
 * MACs and hashes, sealing). WebCrypto is the default everywhere; on Node each
 * WebCrypto call is a job handed to the thread pool and back, which costs
 * about ten times the work itself at these sizes, so the Node entry plugs in
 * node:crypto. Both adapters pass test/contract/crypto-primitives.contract.ts
 * and produce identical bytes, so data sealed on one runtime opens on the other.
 */

/** A key as the adapter that imported it holds it (CryptoKey, KeyObject, bytes); only that adapter reads it. */
export interface SymmetricKey {
  readonly adapter: string;
}

export interface CryptoPrimitives extends JwsSigning {
  readonly name: string;
  sha256(data: Uint8Array): Promise<Uint8Array>;
  /**
   * SHA-256 of a text's UTF-8 bytes, encoded: how stored hashes of secrets are
   * kept. Text in and text out, so Node hashes without a buffer either way.
   */
  sha256Text(text: string, encoding: "base64url" | "hex"): Promise<string>;
  /** HKDF-SHA-256 (RFC 5869) with an empty salt: `length` bytes for `info`. */
  hkdf(inputKey: Uint8Array, info: Uint8Array, length: number): Promise<Uint8Array>;
  hmacKey(raw: Uint8Array): Promise<SymmetricKey>;
  /** HMAC-SHA-256 of a text's UTF-8 bytes, base64url (blind indexes, refresh-token tags). */
  hmacSha256(key: SymmetricKey, text: string): Promise<string>;
  /** A 256-bit AES-GCM key. */
  aesGcmKey(raw: Uint8Array): Promise<SymmetricKey>;
  /** Ciphertext followed by the 16-byte tag (the WebCrypto layout). */
  aesGcmEncrypt(key: SymmetricKey, iv: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Promise<Uint8Array>;
  /** Rejects when the tag does not verify (tampered data, wrong key, IV or associated data). */
  aesGcmDecrypt(key: SymmetricKey, iv: Uint8Array, sealed: Uint8Array, aad?: Uint8Array): Promise<Uint8Array>;
}

/** A private signing key as the adapter that imported it holds it. */
export interface PrivateSigningKey {
  readonly adapter: string;
  readonly alg: "RS256" | "ES256" | "EdDSA";
}

/**
 * JWS signatures for access tokens: on Node each WebCrypto signature also
 * pays the thread-pool round trip, so the Node adapter signs with node:crypto.
 * The compact serialization itself is assembled in one place (core/signing/jws.ts).
 */
export interface JwsSigning {
  /** Imports a private JWK (RFC 7517) for `alg`; rejects a key of another type or curve. */
  importSigningKey(jwk: Record<string, unknown>, alg: PrivateSigningKey["alg"]): Promise<PrivateSigningKey>;
  /**
   * The JWS signature of `input` (RFC 7515 §5.1): RS256 PKCS#1 v1.5 over
   * SHA-256, ES256 R || S (RFC 7518 §3.4, not DER), EdDSA Ed25519 (RFC 8037).
   */
  jwsSignature(key: PrivateSigningKey, input: Uint8Array): Promise<Uint8Array>;
}
