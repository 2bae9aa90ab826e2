import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  createPrivateKey,
  createSecretKey,
  hash,
  hkdfSync,
  type KeyObject,
  sign,
} from "node:crypto";
import type { CryptoPrimitives, PrivateSigningKey, SymmetricKey } from "../../core/ports/crypto.js";

interface NodeSigningKey extends PrivateSigningKey {
  readonly adapter: "node:crypto";
  readonly key: KeyObject;
}

/**
 * RFC 7518 §3.3 (RS256: PKCS#1 v1.5 over SHA-256), §3.4 (ES256: R || S, not
 * DER) and RFC 8037 §3.1 (EdDSA: Ed25519, no pre-hash).
 */
function signature(alg: PrivateSigningKey["alg"], input: Uint8Array, key: KeyObject): Buffer {
  if (alg === "EdDSA") return sign(null, input, key);
  if (alg === "ES256") return sign("sha256", input, { key, dsaEncoding: "ieee-p1363" });
  return sign("sha256", input, key);
}

interface NodeKey extends SymmetricKey {
  readonly adapter: "node:crypto";
  /** AES keys stay raw bytes: a refresh derives one per token, and a KeyObject would cost more than the cipher. */
  readonly key: KeyObject | Uint8Array;
}

const TAG_BYTES = 16;

const unwrap = (key: SymmetricKey): KeyObject | Uint8Array => {
  if (key.adapter !== "node:crypto") throw new TypeError(`A ${key.adapter} key cannot be used with node:crypto.`);
  return (key as NodeKey).key;
};
/** Small Buffers share a pooled ArrayBuffer; callers get bytes of their own, as from WebCrypto. */
const own = (buffer: Buffer): Uint8Array => new Uint8Array(buffer);
const wrap = (raw: Uint8Array): NodeKey => ({ adapter: "node:crypto", key: createSecretKey(raw) });

/** The ciphertext, then the tag, in one allocation (WebCrypto's layout). */
function sealedBytes(head: Buffer, tail: Buffer, tag: Buffer): Uint8Array {
  const out = new Uint8Array(head.length + tail.length + tag.length);
  out.set(head, 0);
  out.set(tail, head.length);
  out.set(tag, head.length + tail.length);
  return out;
}

/**
 * CryptoPrimitives over node:crypto, synchronous underneath: no thread-pool
 * round trip per call. Same bytes as webCrypto (the contract suite checks it
 * against RFC test vectors and across adapters).
 */
export const nodeCrypto: CryptoPrimitives = {
  name: "node:crypto",
  async sha256(data) {
    // One-shot: no Hash object (and its stream machinery) per digest.
    return own(hash("sha256", data, "buffer"));
  },
  async sha256Text(text, encoding) {
    // Both encodings happen in C++: no Buffer for the text or the digest (~4x cheaper than a Buffer digest).
    return hash("sha256", text, encoding);
  },
  async hkdf(inputKey, info, length) {
    return new Uint8Array(hkdfSync("sha256", inputKey, new Uint8Array(0), info, length));
  },
  async hmacKey(raw) {
    return wrap(raw);
  },
  async hmacSha256(key, text) {
    return createHmac("sha256", unwrap(key)).update(text, "utf8").digest("base64url");
  },
  async aesGcmKey(raw) {
    if (raw.length !== 32) throw new TypeError("AES-256-GCM needs a 32-byte key.");
    const key: NodeKey = { adapter: "node:crypto", key: Uint8Array.from(raw) };
    return key;
  },
  async aesGcmEncrypt(key, iv, plaintext, aad) {
    const cipher = createCipheriv("aes-256-gcm", unwrap(key), iv);
    if (aad) cipher.setAAD(aad);
    const head = cipher.update(plaintext);
    const tail = cipher.final();
    return sealedBytes(head, tail, cipher.getAuthTag());
  },
  async aesGcmDecrypt(key, iv, sealed, aad) {
    if (sealed.length < TAG_BYTES) throw new Error("The sealed data is shorter than its tag.");
    const decipher = createDecipheriv("aes-256-gcm", unwrap(key), iv);
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    if (aad) decipher.setAAD(aad);
    const head = decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES));
    return own(Buffer.concat([head, decipher.final()]));
  },
  async importSigningKey(jwk, alg) {
    const key = createPrivateKey({ key: jwk as never, format: "jwk" });
    const expected = { RS256: "rsa", ES256: "ec", EdDSA: "ed25519" }[alg];
    const curveOk = alg !== "ES256" || key.asymmetricKeyDetails?.namedCurve === "prime256v1";
    if (key.asymmetricKeyType !== expected || !curveOk) throw new TypeError(`The key is not a ${alg} key.`);
    const imported: NodeSigningKey = { adapter: "node:crypto", alg, key };
    return imported;
  },
  async jwsSignature(key, input) {
    if (key.adapter !== "node:crypto") throw new TypeError(`A ${key.adapter} key cannot be used with node:crypto.`);
    return own(signature(key.alg, input, (key as NodeSigningKey).key));
  },
};
