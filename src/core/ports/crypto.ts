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

export interface CryptoPrimitives {
  readonly name: string;
  sha256(data: Uint8Array): Promise<Uint8Array>;
  /** HKDF-SHA-256 (RFC 5869) with an empty salt: `length` bytes for `info`. */
  hkdf(inputKey: Uint8Array, info: Uint8Array, length: number): Promise<Uint8Array>;
  hmacKey(raw: Uint8Array): Promise<SymmetricKey>;
  hmacSha256(key: SymmetricKey, data: Uint8Array): Promise<Uint8Array>;
  /** A 256-bit AES-GCM key. */
  aesGcmKey(raw: Uint8Array): Promise<SymmetricKey>;
  /** Ciphertext followed by the 16-byte tag (the WebCrypto layout). */
  aesGcmEncrypt(key: SymmetricKey, iv: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Promise<Uint8Array>;
  /** Rejects when the tag does not verify (tampered data, wrong key, IV or associated data). */
  aesGcmDecrypt(key: SymmetricKey, iv: Uint8Array, sealed: Uint8Array, aad?: Uint8Array): Promise<Uint8Array>;
}
