/**
 * The Redis port: the few operations the service needs, including atomic
 * scripts. Adapters: ioredis (Node), @upstash/redis (Workers), in-memory
 * (embedded default). Every adapter passes test/contract/key-value.contract.ts.
 */

/** What a Lua script can return: integers, bulk strings, nil and arrays. */
export type ScriptValue = number | string | null | ScriptValue[];

/**
 * The in-memory adapter's view of its data while a script runs. The memory
 * twin of a script sees the store through this, synchronously, so it is as
 * atomic as the Lua original is in Redis.
 */
export interface MemoryScriptStore {
  get(key: string): string | null;
  /** ttlMs undefined keeps no expiry (like SET without PX). */
  set(key: string, value: string, ttlMs?: number): void;
  del(key: string): boolean;
  /** Remaining time to live in ms; -1 without expiry, -2 when absent (as PTTL). */
  pttl(key: string): number;
  pexpire(key: string, ttlMs: number): boolean;
}

/**
 * An atomic script, written twice: Lua for Redis and a synchronous twin for
 * the in-memory store. The contract suite runs both against the same cases.
 * Scripts take time as an argument (from the injected clock), never TIME, and
 * put `false` (which arrives as null) rather than nil in a returned table: a
 * nil there would silently cut the table short.
 */
export interface AtomicScript<R> {
  readonly name: string;
  readonly lua: string;
  readonly memory: (store: MemoryScriptStore, keys: string[], args: string[]) => ScriptValue;
  readonly decode: (raw: ScriptValue) => R;
}

export interface SetOptions {
  /** Expire after this many milliseconds. */
  ttlMs?: number;
  /** Set only when the key does not exist (SET NX). */
  onlyIfAbsent?: boolean;
}

export interface KeyValueStore {
  readonly kind: "memory" | "redis" | "upstash";
  get(key: string): Promise<string | null>;
  /** Resolves false when `onlyIfAbsent` was asked and the key existed. */
  set(key: string, value: string, options?: SetOptions): Promise<boolean>;
  /** Reads and deletes in one step: a value can be taken only once. */
  take(key: string): Promise<string | null>;
  /** Deletes keys; resolves the number that existed. */
  del(...keys: string[]): Promise<number>;
  /** Remaining time to live in ms, or null when the key is absent or has none. */
  ttl(key: string): Promise<number | null>;
  run<R>(script: AtomicScript<R>, keys: string[], args: (string | number)[]): Promise<R>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Compare-and-delete: deletes KEYS[1] only when it still holds ARGV[1].
 * Returns 1 when deleted, 0 otherwise.
 */
export const deleteIfEquals: AtomicScript<boolean> = {
  name: "delete_if_equals",
  lua: `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`,
  memory(store, [key = ""], [expected = ""]) {
    return store.get(key) === expected ? (store.del(key) ? 1 : 0) : 0;
  },
  decode: (raw) => Number(raw) === 1,
};

/**
 * Replace-if-present (SET XX PX): writes KEYS[1] = ARGV[1] with a time to
 * live of ARGV[2] ms only when KEYS[1] still exists, so an update cannot bring
 * back a value another request has taken meanwhile. Returns 1 when written.
 */
export const setIfPresent: AtomicScript<boolean> = {
  name: "set_if_present",
  lua: `if redis.call('SET', KEYS[1], ARGV[1], 'XX', 'PX', ARGV[2]) then return 1 end
return 0`,
  memory(store, [key = ""], [value = "", ttlMs = "0"]) {
    if (store.pttl(key) === -2) return 0;
    store.set(key, value, Number(ttlMs));
    return 1;
  },
  decode: (raw) => Number(raw) === 1,
};
