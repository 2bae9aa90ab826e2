import type { Cursors } from "../pagination/cursor.js";
import type { UserPosition } from "../ports/database.js";

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const listing = (tenantId: string) => `users:${tenantId}`;

/** The opaque `next_cursor` of the admin user listing: the last row's position. */
export const encodeUserCursor = (cursors: Cursors, tenantId: string, position: UserPosition): Promise<string> =>
  cursors.encode(listing(tenantId), position.createdAt, position.id);

/** The position a cursor names, or null when it is not one this tenant's listing gave out. */
export async function decodeUserCursor(
  cursors: Cursors,
  tenantId: string,
  cursor: string,
): Promise<UserPosition | null> {
  const [createdAt = "", id = "", ...rest] = (await cursors.decode(listing(tenantId), cursor)) ?? [];
  if (rest.length > 0 || !TIMESTAMP.test(createdAt) || !UUID.test(id)) return null;
  // A real instant after 1970 (no 30 February or year 0, which Postgres would refuse), not merely the shape of one.
  const parsed = new Date(`${createdAt.slice(0, 23)}Z`);
  if (!(parsed.getTime() >= 0) || parsed.toISOString().slice(0, 23) !== createdAt.slice(0, 23)) return null;
  return { createdAt, id };
}
