import { constantTimeEqual } from "../crypto/compare.js";
import { fromBase64Url, fromUtf8, toBase64Url, utf8 } from "../crypto/encoding.js";
import type { Sealer } from "../crypto/sealing.js";

const PURPOSE = "listing-cursor";
/** 128 bits of the HMAC-SHA-256 (base64url). */
const TAG_LENGTH = 22;

/**
 * The opaque `next_cursor` of every admin listing: base64url of the last
 * item's keyset position (its parts joined by "/", which no part holds), the
 * sealing key's id and a MAC binding both to the listing that handed it out
 * (its name and tenant), so a cursor that listing did not give out is refused.
 */
export class Cursors {
  constructor(private readonly keys: Pick<Sealer, "blindIndex" | "blindIndexUnder">) {}

  async encode(listing: string, ...parts: string[]): Promise<string> {
    const body = toBase64Url(utf8.encode(parts.join("/")));
    const index = await this.keys.blindIndex(`${listing}\u0000${body}`, PURPOSE);
    const separator = index.indexOf(":");
    return `${body}.${index.slice(0, separator)}.${index.slice(separator + 1, separator + 1 + TAG_LENGTH)}`;
  }

  /** The parts of a cursor this listing gave out (under a key still configured), or null; callers check each part's shape. */
  async decode(listing: string, cursor: string): Promise<string[] | null> {
    const [body = "", keyId = "", tag = "", ...rest] = cursor.split(".");
    if (rest.length > 0 || tag.length !== TAG_LENGTH) return null;
    const index = await this.keys.blindIndexUnder(keyId, `${listing}\u0000${body}`, PURPOSE);
    if (!index || !(await constantTimeEqual(index.slice(keyId.length + 1, keyId.length + 1 + TAG_LENGTH), tag))) {
      return null;
    }
    const bytes = fromBase64Url(body);
    if (!bytes) return null;
    try {
      return fromUtf8.decode(bytes).split("/");
    } catch {
      return null;
    }
  }
}
