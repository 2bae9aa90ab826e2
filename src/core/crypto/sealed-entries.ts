/**
 * Short-lived login state in the key-value store, sealed with its own key as
 * associated data: a Redis dump or read-only access holds none of it, and a
 * value copied under another key does not open there.
 */
import type { KeyValueStore } from "../ports/key-value.js";
import { type Sealer, SealingError } from "./sealing.js";

interface SealedEntryDeps {
  kv: KeyValueStore;
  sealer: Sealer;
}

/** Stores `value` (as JSON) sealed under `key`, for `ttlMs`. */
export async function putSealed(deps: SealedEntryDeps, key: string, value: unknown, ttlMs: number): Promise<void> {
  await deps.kv.set(key, await deps.sealer.seal(JSON.stringify(value), key), { ttlMs });
}

/**
 * Takes (once) what `putSealed` stored under `key`; null when absent or when
 * it does not open under this key. `readClear` also accepts a JSON object
 * stored in clear, for the entries a release before their sealing wrote.
 */
export async function takeSealed<T>(
  deps: SealedEntryDeps,
  key: string,
  { readClear }: { readClear: boolean },
): Promise<T | null> {
  const raw = await deps.kv.take(key);
  if (raw === null) return null;
  if (raw.startsWith("{")) return readClear ? (JSON.parse(raw) as T) : null;
  try {
    return JSON.parse(await deps.sealer.open(raw, key)) as T;
  } catch (error) {
    if (error instanceof SealingError) return null;
    throw error;
  }
}
