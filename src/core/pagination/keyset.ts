import { errors } from "../errors.js";
import type { ListingPosition } from "../ports/database.js";
import type { Cursors } from "./cursor.js";

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The opaque `next_cursor` of a listing ordered by a time then id: the last row's position. */
export const encodePosition = (cursors: Cursors, listing: string, position: ListingPosition): Promise<string> =>
  cursors.encode(listing, position.at, position.id);

/** The position a cursor names, or null when it is not one this listing gave out. */
export async function decodePosition(
  cursors: Cursors,
  listing: string,
  cursor: string,
  idShape: RegExp = UUID,
): Promise<ListingPosition | null> {
  const [at = "", id = "", ...rest] = (await cursors.decode(listing, cursor)) ?? [];
  if (rest.length > 0 || !TIMESTAMP.test(at) || !idShape.test(id)) return null;
  // A real instant after 1970 (no 30 February or year 0, which Postgres would refuse), not merely the shape of one.
  const parsed = new Date(`${at.slice(0, 23)}Z`);
  if (!(parsed.getTime() >= 0) || parsed.toISOString().slice(0, 23) !== at.slice(0, 23)) return null;
  return { at, id };
}

/**
 * One page of a listing ordered by a time then id. Reads one row more than
 * the page holds, to know whether another page follows without a second
 * query. A cursor this listing did not hand out is 400 `validation_failed`.
 * `idShape` is what the rows' ids look like: a UUID unless the listing says
 * otherwise (an OAuth client's id is not one).
 */
export async function keysetPage<R>(
  cursors: Cursors,
  listing: string,
  query: { limit: number; cursor?: string | undefined },
  read: (after: ListingPosition | null, limit: number) => Promise<R[]>,
  positionOf: (row: R) => ListingPosition,
  idShape: RegExp = UUID,
): Promise<{ rows: R[]; nextCursor: string | null }> {
  const after = query.cursor === undefined ? null : await decodePosition(cursors, listing, query.cursor, idShape);
  if (query.cursor !== undefined && !after) {
    throw errors.validation([{ path: "cursor", message: "is not a cursor of this listing" }]);
  }
  const rows = await read(after, query.limit + 1);
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    rows: page,
    nextCursor: rows.length > query.limit && last ? await encodePosition(cursors, listing, positionOf(last)) : null,
  };
}
