import { fromBase64Url, fromUtf8, toBase64Url, utf8 } from "../crypto/encoding.js";

/**
 * The opaque `next_cursor` of every admin listing: base64url of the last
 * item's keyset position, its parts joined by "/" (no part holds one).
 */
export const encodeCursor = (...parts: string[]): string => toBase64Url(utf8.encode(parts.join("/")));

/** The parts of a cursor, or null when it is not base64url of UTF-8 text; callers check each part's shape. */
export function decodeCursor(cursor: string): string[] | null {
  const bytes = fromBase64Url(cursor);
  if (!bytes) return null;
  try {
    return fromUtf8.decode(bytes).split("/");
  } catch {
    return null;
  }
}
