import { fixedLengthEqual } from "../crypto/compare.js";
import { fromBase64Url, fromUtf8, toBase64Url, toHex, utf8 } from "../crypto/encoding.js";
import type { Sealer } from "../crypto/sealing.js";
import type { Random } from "../ports/clock.js";
import type { SymmetricKey } from "../ports/crypto.js";

/**
 * Refresh tokens: `rt1.{body}.{tag}`, opaque to clients.
 *
 * - body: base64url of session id (16 bytes) | generation (4 bytes, big
 *   endian) | 32 random bytes (256 bits of entropy, RFC 9700 §4.14.2).
 * - tag: a keyed MAC (the sealer's HMAC key, purpose "refresh-token") over
 *   the tenant id and the body, `{keyId}:{mac}`.
 *
 * Only SHA-256 of the whole token is stored (Redis, and the Postgres ledger).
 * The tag lets the service tell a genuine spent token of a session (reuse,
 * which revokes the session) from a forged one naming a known session id
 * (ignored, so nobody can log a user out by guessing), and binds the token to
 * its tenant. The generation orders a session's tokens without keeping every
 * spent hash.
 */
export interface RefreshToken {
  text: string;
  sessionId: string;
  generation: number;
  /** base64url SHA-256 of `text`: the only form that is stored. */
  hash: string;
}

const PREFIX = "rt1";
const BODY_BYTES = 16 + 4 + 32;
const MAC_PURPOSE = "refresh-token";
/** A generous bound on what is worth parsing; real tokens are about 130 characters. */
export const REFRESH_TOKEN_MAX_LENGTH = 512;

// By table, not regex and parseInt: every refresh converts a session id each way.
const hexValue = (code: number) => (code <= 57 ? code - 48 : (code | 32) - 87);
const uuidBytes = (id: string) => {
  const out = new Uint8Array(16);
  for (let i = 0, o = 0; o < 16 && i + 1 < id.length; i += 2) {
    if (id.charCodeAt(i) === 45) i++;
    out[o++] = (hexValue(id.charCodeAt(i)) << 4) | hexValue(id.charCodeAt(i + 1));
  }
  return out;
};
const uuidText = (b: Uint8Array) => {
  const h = toHex(b);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};

export class RefreshTokens {
  constructor(
    private readonly sealer: Sealer,
    private readonly random: Random,
  ) {}

  /** A new token of `sessionId` at `generation` (0 at login, +1 per rotation). */
  async mint(tenantId: string, sessionId: string, generation: number): Promise<RefreshToken> {
    const body = new Uint8Array(BODY_BYTES);
    body.set(uuidBytes(sessionId), 0);
    new DataView(body.buffer).setUint32(16, generation);
    body.set(this.random.bytes(32), 20);
    const bodyText = toBase64Url(body);
    const tag = await this.sealer.blindIndex(`${tenantId}.${bodyText}`, MAC_PURPOSE);
    const text = `${PREFIX}.${bodyText}.${tag}`;
    return { text, sessionId, generation, hash: await this.hash(text) };
  }

  /** The token when it is well formed and was minted for this tenant by this service; otherwise undefined. */
  async parse(tenantId: string, text: unknown): Promise<RefreshToken | undefined> {
    if (typeof text !== "string" || text.length > REFRESH_TOKEN_MAX_LENGTH) return undefined;
    const [prefix, bodyText, tag, extra] = text.split(".");
    if (prefix !== PREFIX || !bodyText || !tag || extra !== undefined) return undefined;
    const body = fromBase64Url(bodyText);
    if (!body || body.length !== BODY_BYTES || toBase64Url(body) !== bodyText) return undefined;
    const keyId = tag.slice(0, tag.indexOf(":"));
    // One HMAC, under the key the tag names, not one per configured key.
    const expected = await this.sealer.blindIndexUnder(keyId, `${tenantId}.${bodyText}`, MAC_PURPOSE);
    if (!expected || !fixedLengthEqual(expected, tag)) return undefined;
    return {
      text,
      sessionId: uuidText(body.subarray(0, 16)),
      generation: new DataView(body.buffer).getUint32(16),
      hash: await this.hash(text),
    };
  }

  hash(text: string): Promise<string> {
    return this.sealer.primitives.sha256Text(text, "base64url");
  }

  /**
   * Seals the successor under a key derived from the token it replaces, for
   * the grace window: only a holder of the old token can open it.
   */
  async sealSuccessor(previous: string, successor: string): Promise<string> {
    const iv = this.random.bytes(12);
    const sealed = await this.sealer.primitives.aesGcmEncrypt(
      await this.successorKey(previous),
      iv,
      utf8.encode(successor),
    );
    return `${toBase64Url(iv)}.${toBase64Url(sealed)}`;
  }

  /** The successor sealed by sealSuccessor, or undefined when it does not open with this token. */
  async openSuccessor(previous: string, sealed: string): Promise<string | undefined> {
    const [ivText, dataText] = sealed.split(".");
    const iv = fromBase64Url(ivText ?? "");
    const data = fromBase64Url(dataText ?? "");
    if (!iv || !data) return undefined;
    try {
      const key = await this.successorKey(previous);
      return fromUtf8.decode(await this.sealer.primitives.aesGcmDecrypt(key, iv, data));
    } catch {
      return undefined;
    }
  }

  private async successorKey(previous: string): Promise<SymmetricKey> {
    // Domain-separated from the stored hash (SHA-256 of the token alone), so the
    // stored hash does not open the successor.
    const { primitives } = this.sealer;
    return primitives.aesGcmKey(await primitives.sha256(utf8.encode(`refresh-successor\u0000${previous}`)));
  }
}
