/**
 * The JWKS in the Workers Cache API (`caches.default`), so that a fresh
 * isolate (Workers start many, short-lived) takes the keys another isolate
 * fetched instead of calling the JWKS endpoint again. The entry is kept for
 * the stale bound, longer than its freshness, so that it can still be served
 * stale while the endpoint is down; the SDK's own headers carry when it was
 * fetched and until when it is fresh.
 */
import type { EdgeCache } from "./types.js";

const FETCHED_AT = "x-authority-sdk-fetched-at";
const FRESH_UNTIL = "x-authority-sdk-fresh-until";

export interface StoredJwks {
  text: string;
  etag: string | null;
  fetchedAt: number;
  freshUntil: number;
}

/** `caches.default` where the runtime has it (Workers); browsers' CacheStorage has no `default` and is not used. */
export function detectEdgeCache(): EdgeCache | null {
  const storage = (globalThis as { caches?: { default?: Partial<EdgeCache> } }).caches;
  const cache = storage?.default;
  return cache && typeof cache.match === "function" && typeof cache.put === "function" ? (cache as EdgeCache) : null;
}

export async function readStored(cache: EdgeCache, url: string): Promise<StoredJwks | null> {
  const response = await cache.match(new Request(url));
  if (response?.status !== 200) {
    await response?.body?.cancel();
    return null;
  }
  const fetchedAt = Number(response.headers.get(FETCHED_AT));
  const freshUntil = Number(response.headers.get(FRESH_UNTIL));
  if (!Number.isFinite(fetchedAt) || !Number.isFinite(freshUntil) || fetchedAt <= 0) {
    await response.body?.cancel();
    return null;
  }
  return { text: await response.text(), etag: response.headers.get("etag"), fetchedAt, freshUntil };
}

export async function store(cache: EdgeCache, url: string, stored: StoredJwks, keepSeconds: number): Promise<void> {
  const headers = new Headers({
    "Content-Type": "application/json",
    "Cache-Control": `public, max-age=${Math.max(1, Math.floor(keepSeconds))}`,
    [FETCHED_AT]: String(stored.fetchedAt),
    [FRESH_UNTIL]: String(stored.freshUntil),
  });
  if (stored.etag) headers.set("ETag", stored.etag);
  await cache.put(new Request(url), new Response(stored.text, { status: 200, headers }));
}
