/** Walking the cursor pages of a listing, results and all. */
import type { Result } from "./result.js";
import type { Paginated } from "./types.js";

/**
 * Every page of a listing, first to last: `fetchPage(cursor)` is called with
 * undefined, then with each page's `next_cursor`. Each page is yielded as its
 * Result; a failure is yielded and ends the walk, so nothing throws.
 *
 * ```ts
 * for await (const page of pages((cursor) => admin.listUsers({ cursor, limit: 100 }))) {
 *   if (!page.ok) break; // page.problem says why
 *   for (const user of page.value.users) ...
 * }
 * ```
 */
export async function* pages<P extends Paginated>(
  fetchPage: (cursor: string | undefined) => Promise<Result<P>>,
): AsyncGenerator<Result<P>, void, undefined> {
  let cursor: string | undefined;
  for (;;) {
    const page = await fetchPage(cursor);
    yield page;
    if (!page.ok) return;
    const next = page.value.next_cursor;
    // A cursor handed back unchanged would walk the same page forever.
    if (typeof next !== "string" || next === cursor) return;
    cursor = next;
  }
}
