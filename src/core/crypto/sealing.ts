import type { Random } from "../ports/clock.js";
import type { CryptoPrimitives, SymmetricKey } from "../ports/crypto.js";
import { fromBase64Url, fromUtf8, toBase64Url, utf8 } from "./encoding.js";
import { webCrypto } from "./web-crypto.js";

/**
 * Row-level encryption. Sensitive columns are sealed with AES-256-GCM under
 * a key derived (HKDF-SHA-256) from a versioned key-encryption key, and bound
 * to their place by associated data (e.g. `users.email:{tenant}:{id}`), so a
 * sealed value copied into another row or column does not open.
 *
 * Format: `s1.{keyId}.{iv}.{ciphertext+tag}` (base64url). The key id says
 * which key opens it, so old keys keep opening old rows until a re-encryption
 * pass (`needsReseal`) rewrites them under the current one.
 *
 * Blind indexes (keyed HMAC-SHA-256 of a normalised value, `{keyId}:{mac}`)
 * let the database find a row by email without holding the email. A lookup
 * asks for the index under every configured key, so rows not yet re-indexed
 * are still found.
 */
/** A versioned key-encryption key (configuration: `ENCRYPTION_KEYS`). */
export interface EncryptionKey {
  id: string;
  /** 32 raw bytes, the HKDF input of the keys below. */
  key: Uint8Array<ArrayBuffer>;
}

const FORMAT = "s1";
const IV_BYTES = 12;

interface DerivedKey {
  id: string;
  seal: SymmetricKey;
  index: SymmetricKey;
}

/**
 * HKDF-SHA-256 (empty salt) per purpose: 32 bytes for AES-256-GCM and 64 for
 * HMAC-SHA-256, exactly what WebCrypto's deriveKey made for these algorithms
 * before keys went through the primitives port, so existing data still opens.
 */
async function derive(key: EncryptionKey, primitives: CryptoPrimitives): Promise<DerivedKey> {
  const [seal, index] = await Promise.all([
    primitives.hkdf(key.key, utf8.encode("authority/seal/v1"), 32).then((raw) => primitives.aesGcmKey(raw)),
    primitives.hkdf(key.key, utf8.encode("authority/blind-index/v1"), 64).then((raw) => primitives.hmacKey(raw)),
  ]);
  return { id: key.id, seal, index };
}

/** The id of the key a value says it is sealed under; undefined when it is not a sealed value. */
export function sealedKeyId(sealed: string): string | undefined {
  const [format, keyId] = sealed.split(".", 2);
  return format === FORMAT && keyId ? keyId : undefined;
}

export class SealingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SealingError";
  }
}

export class Sealer {
  private constructor(
    private readonly keys: DerivedKey[],
    private readonly random: Random,
    /** The symmetric primitives this sealer (and the refresh tokens built on it) use. */
    readonly primitives: CryptoPrimitives,
  ) {}

  /** The first key is current (seals and indexes); the rest only open and find. */
  static async create(
    keys: EncryptionKey[],
    random: Random,
    primitives: CryptoPrimitives = webCrypto,
  ): Promise<Sealer> {
    if (keys.length === 0) throw new SealingError("At least one encryption key is needed.");
    return new Sealer(await Promise.all(keys.map((key) => derive(key, primitives))), random, primitives);
  }

  private get current(): DerivedKey {
    return this.keys[0] as DerivedKey;
  }

  async seal(plaintext: string, context: string): Promise<string> {
    const iv = this.random.bytes(IV_BYTES);
    const ciphertext = await this.primitives.aesGcmEncrypt(
      this.current.seal,
      iv,
      utf8.encode(plaintext),
      utf8.encode(context),
    );
    return `${FORMAT}.${this.current.id}.${toBase64Url(iv)}.${toBase64Url(ciphertext)}`;
  }

  /** Throws SealingError when the value is malformed, tampered with, out of place or under an unknown key. */
  async open(sealed: string, context: string): Promise<string> {
    const [format, keyId, ivText, dataText, extra] = sealed.split(".");
    const iv = fromBase64Url(ivText ?? "");
    const data = fromBase64Url(dataText ?? "");
    if (format !== FORMAT || extra !== undefined || !iv || iv.length !== IV_BYTES || !data) {
      throw new SealingError("The sealed value is malformed.");
    }
    const key = this.keys.find((k) => k.id === keyId);
    if (!key) throw new SealingError(`No configured encryption key has the id "${keyId}".`);
    try {
      const plaintext = await this.primitives.aesGcmDecrypt(key.seal, iv, data, utf8.encode(context));
      return fromUtf8.decode(plaintext);
    } catch {
      throw new SealingError("The sealed value does not open (tampered, or sealed for another place).");
    }
  }

  /** Whether ENCRYPTION_KEYS lists a key of this id. */
  hasKey(keyId: string): boolean {
    return this.keys.some((k) => k.id === keyId);
  }

  /** True when the value was sealed under a key other than the current one. */
  needsReseal(sealed: string): boolean {
    return sealed.split(".")[1] !== this.current.id;
  }

  private async mac(key: DerivedKey, value: string, purpose: string): Promise<string> {
    return `${key.id}:${await this.primitives.hmacSha256(key.index, `${purpose}\u0000${value}`)}`;
  }

  /** The blind index under the current key: what new and re-encrypted rows store. */
  blindIndex(value: string, purpose: string): Promise<string> {
    return this.mac(this.current, value, purpose);
  }

  /** The blind index under every configured key: what lookups search for. */
  blindIndexes(value: string, purpose: string): Promise<string[]> {
    return Promise.all(this.keys.map((key) => this.mac(key, value, purpose)));
  }

  /** The index under the key with this id (the one a stored tag names), or undefined when no such key is configured. */
  async blindIndexUnder(keyId: string, value: string, purpose: string): Promise<string | undefined> {
    const key = this.keys.find((k) => k.id === keyId);
    return key ? this.mac(key, value, purpose) : undefined;
  }

  /** True when a stored index was made under a key other than the current one. */
  needsReindex(index: string): boolean {
    return !index.startsWith(`${this.current.id}:`);
  }
}
