import { importJWK, type JWK } from "jose";
import type { CryptoPrimitives, PrivateSigningKey, SymmetricKey } from "../ports/crypto.js";
import { toBase64Url, toHex, utf8 } from "./encoding.js";

interface WebSigningKey extends PrivateSigningKey {
  readonly adapter: "webcrypto";
  readonly key: CryptoKey;
}

interface WebKey extends SymmetricKey {
  readonly adapter: "webcrypto";
  readonly key: CryptoKey;
}

const unwrap = (key: SymmetricKey): CryptoKey => {
  if (key.adapter !== "webcrypto") throw new TypeError(`A ${key.adapter} key cannot be used with WebCrypto.`);
  return (key as WebKey).key;
};

/** Copies into a fresh ArrayBuffer-backed view: WebCrypto's BufferSource typing wants one. */
const bytes = (data: Uint8Array) => new Uint8Array(data);
const wrap = (key: CryptoKey): WebKey => ({ adapter: "webcrypto", key });

/** CryptoPrimitives over crypto.subtle: Workers, browsers, and Node when nothing faster is plugged in. */
export const webCrypto: CryptoPrimitives = {
  name: "webcrypto",
  async sha256(data) {
    return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes(data)));
  },
  async sha256Text(text, encoding) {
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", utf8.encode(text)));
    return encoding === "hex" ? toHex(digest) : toBase64Url(digest);
  },
  async hkdf(inputKey, info, length) {
    const material = await crypto.subtle.importKey("raw", bytes(inputKey), "HKDF", false, ["deriveBits"]);
    const params = { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: bytes(info) };
    return new Uint8Array(await crypto.subtle.deriveBits(params, material, length * 8));
  },
  async hmacKey(raw) {
    return wrap(await crypto.subtle.importKey("raw", bytes(raw), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]));
  },
  async hmacSha256(key, text) {
    return toBase64Url(new Uint8Array(await crypto.subtle.sign("HMAC", unwrap(key), utf8.encode(text))));
  },
  async aesGcmKey(raw) {
    if (raw.length !== 32) throw new TypeError("AES-256-GCM needs a 32-byte key.");
    return wrap(await crypto.subtle.importKey("raw", bytes(raw), "AES-GCM", false, ["encrypt", "decrypt"]));
  },
  async aesGcmEncrypt(key, iv, plaintext, aad) {
    const params = { name: "AES-GCM", iv: bytes(iv), ...(aad ? { additionalData: bytes(aad) } : {}) };
    return new Uint8Array(await crypto.subtle.encrypt(params, unwrap(key), bytes(plaintext)));
  },
  async aesGcmDecrypt(key, iv, sealed, aad) {
    const params = { name: "AES-GCM", iv: bytes(iv), ...(aad ? { additionalData: bytes(aad) } : {}) };
    return new Uint8Array(await crypto.subtle.decrypt(params, unwrap(key), bytes(sealed)));
  },
  // jose imports the JWK under the name this runtime's WebCrypto gives each algorithm (Ed25519 above all).
  async importSigningKey(jwk, alg) {
    const key: WebSigningKey = { adapter: "webcrypto", alg, key: (await importJWK(jwk as JWK, alg)) as CryptoKey };
    return key;
  },
  async jwsSignature(key, input) {
    if (key.adapter !== "webcrypto") throw new TypeError(`A ${key.adapter} key cannot be used with WebCrypto.`);
    const cryptoKey = (key as WebSigningKey).key;
    // WebCrypto's ECDSA signature is already R || S, as JWS wants it.
    const params = key.alg === "ES256" ? { name: "ECDSA", hash: "SHA-256" } : cryptoKey.algorithm;
    return new Uint8Array(await crypto.subtle.sign(params, cryptoKey, bytes(input)));
  },
};
