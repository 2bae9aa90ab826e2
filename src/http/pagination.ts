import { z } from "@hono/zod-openapi";
import { errors } from "../core/errors.js";
import type { Cursors } from "../core/pagination/cursor.js";

/**
 * Keyset pages of admin listings, keyed by a name (slug, provider or
 * connection name). The cursor is opaque to clients (core/pagination/cursor.ts):
 * the last name of the page before.
 */
const pageQuerySchema = (defaultLimit: number) =>
  z.object({
    // Decimal digits only: Number() would also take "0x10", "3e0", "+3" and " 3".
    limit: z
      .string()
      .regex(/^\d+$/, "must be a whole number in decimal digits")
      .transform(Number)
      .pipe(z.number().min(1, "must be at least 1").max(100, "must be at most 100"))
      .optional()
      .openapi({
        type: "integer",
        minimum: 1,
        maximum: 100,
        description: `Items per page (1 to 100, default ${defaultLimit}), in decimal digits`,
        example: defaultLimit,
      }),
    cursor: z
      .string()
      .max(256)
      .optional()
      .openapi({ description: "`next_cursor` of the page before; omit for the first page" }),
  });

export const PageQuerySchema = pageQuerySchema(50);

/**
 * The listings that answered every item before they were paged (sessions
 * and API keys): a client that reads one page still sees every item up to 100.
 */
export const FULL_PAGE = 100;
export const FullPageQuerySchema = pageQuerySchema(FULL_PAGE);

export const nextCursorField = z
  .string()
  .nullable()
  .openapi({ description: "Pass as `cursor` for the next page; null on the last page" });

const DEFAULT_LIMIT = 50;

/** The name after which a page starts, or null; a cursor this listing did not hand out is 400. */
async function pageStart(
  cursors: Cursors,
  listing: string,
  query: { cursor?: string | undefined },
  name: RegExp,
): Promise<string | null> {
  if (query.cursor === undefined) return null;
  const [decoded, ...rest] = (await cursors.decode(listing, query.cursor)) ?? [];
  if (decoded === undefined || rest.length > 0 || !name.test(decoded)) {
    throw errors.validation([{ path: "cursor", message: "is not a cursor of this listing" }]);
  }
  return decoded;
}

/**
 * Reads one item more than the page holds, to know whether another page
 * follows without a second query. `listing` names the listing and its
 * tenant: its cursors work there only.
 */
export async function page<T>(
  cursors: Cursors,
  listing: string,
  query: { limit?: number | undefined; cursor?: string | undefined },
  name: RegExp,
  read: (after: string | null, limit: number) => Promise<T[]>,
  nameOf: (item: T) => string,
): Promise<{ items: T[]; nextCursor: string | null }> {
  const limit = query.limit ?? DEFAULT_LIMIT;
  const rows = await read(await pageStart(cursors, listing, query, name), limit + 1);
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  const nextCursor = rows.length > limit && last ? await cursors.encode(listing, nameOf(last)) : null;
  return { items, nextCursor };
}
