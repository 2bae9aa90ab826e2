import type { Cursors } from "../pagination/cursor.js";
import { decodePosition, encodePosition } from "../pagination/keyset.js";
import type { UserPosition } from "../ports/database.js";

const listing = (tenantId: string) => `users:${tenantId}`;

/** The opaque `next_cursor` of the admin user listing: the last row's position. */
export const encodeUserCursor = (cursors: Cursors, tenantId: string, position: UserPosition): Promise<string> =>
  encodePosition(cursors, listing(tenantId), { at: position.createdAt, id: position.id });

/** The position a cursor names, or null when it is not one this tenant's listing gave out. */
export async function decodeUserCursor(
  cursors: Cursors,
  tenantId: string,
  cursor: string,
): Promise<UserPosition | null> {
  const position = await decodePosition(cursors, listing(tenantId), cursor);
  return position && { createdAt: position.at, id: position.id };
}
