import type { EncryptionKey } from "../../config.js";
import type { Random } from "../ports/clock.js";
import { fromBase64Url, fromUtf8, toBase64Url, utf8 } from "./encoding.js";

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
const FORMAT = "s1";
const IV_BYTES = 12;

interface DerivedKey {
  id: string;
  seal: CryptoKey;
  index: CryptoKey;
}

async function derive(key: EncryptionKey): Promise<DerivedKey> {
  const material = await crypto.subtle.importKey("raw", key.key, "HKDF", false, ["deriveKey"]);
  const hkdf = (info: string) => ({ name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: utf8.encode(info) });
  const [seal, index] = await Promise.all([
    crypto.subtle.deriveKey(hkdf("authority/seal/v1"), material, { name: "AES-GCM", length: 256 }, false, [
      "encrypt",
      "decrypt",
    ]),
    crypto.subtle.deriveKey(hkdf("authority/blind-index/v1"), material, { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
    ]),
  ]);
  return { id: key.id, seal, index };
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
  ) {}

  /** The first key is current (seals and indexes); the rest only open and find. */
  static async create(keys: EncryptionKey[], random: Random): Promise<Sealer> {
    if (keys.length === 0) throw new SealingError("At least one encryption key is needed.");
    return new Sealer(await Promise.all(keys.map(derive)), random);
  }

  private get current(): DerivedKey {
    return this.keys[0] as DerivedKey;
  }

  async seal(plaintext: string, context: string): Promise<string> {
    const iv = this.random.bytes(IV_BYTES);
    const ciphertext = await crypto.subtle.encrypt(
      { name: "AES-GCM", iv, additionalData: utf8.encode(context) },
      this.current.seal,
      utf8.encode(plaintext),
    );
    return `${FORMAT}.${this.current.id}.${toBase64Url(iv)}.${toBase64Url(new Uint8Array(ciphertext))}`;
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
      const plaintext = await crypto.subtle.decrypt(
        { name: "AES-GCM", iv, additionalData: utf8.encode(context) },
        key.seal,
        data,
      );
      return fromUtf8.decode(plaintext);
    } catch {
      throw new SealingError("The sealed value does not open (tampered, or sealed for another place).");
    }
  }

  /** True when the value was sealed under a key other than the current one. */
  needsReseal(sealed: string): boolean {
    return sealed.split(".")[1] !== this.current.id;
  }

  private async mac(key: DerivedKey, value: string, purpose: string): Promise<string> {
    const mac = await crypto.subtle.sign("HMAC", key.index, utf8.encode(`${purpose}\u0000${value}`));
    return `${key.id}:${toBase64Url(new Uint8Array(mac))}`;
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
