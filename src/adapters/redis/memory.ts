import { assertOneSlot } from "../../core/key-slot.js";
import type { Clock } from "../../core/ports/clock.js";
import type {
  AtomicScript,
  KeyValueStore,
  MemoryScriptStore,
  ScriptValue,
  SetOptions,
} from "../../core/ports/key-value.js";

interface Entry {
  value: string;
  /** Epoch ms; undefined means no expiry. */
  expiresAt: number | undefined;
}

/** Expired entries are removed on access and by a sweep every so many writes. */
const SWEEP_EVERY_WRITES = 1_000;

/**
 * The embedded default store: one process only, nothing persisted. The Node
 * entry refuses it when APP_ENV is production (config.ts). Like Redis
 * Cluster, it refuses a script whose keys span several hash slots.
 */
export class MemoryKeyValueStore implements KeyValueStore {
  readonly kind = "memory" as const;
  private readonly entries = new Map<string, Entry>();
  private writes = 0;
  private closed = false;

  constructor(private readonly clock: Clock) {}

  /** The synchronous view scripts and the async methods share. */
  private readonly store: MemoryScriptStore = {
    get: (key) => this.live(key)?.value ?? null,
    set: (key, value, ttlMs) => {
      this.entries.set(key, { value, expiresAt: ttlMs === undefined ? undefined : this.now() + ttlMs });
      if (++this.writes % SWEEP_EVERY_WRITES === 0) this.sweep();
    },
    del: (key) => this.live(key) !== undefined && this.entries.delete(key),
    pttl: (key) => {
      const entry = this.live(key);
      if (!entry) return -2;
      return entry.expiresAt === undefined ? -1 : entry.expiresAt - this.now();
    },
    pexpire: (key, ttlMs) => {
      const entry = this.live(key);
      if (!entry) return false;
      entry.expiresAt = this.now() + ttlMs;
      return true;
    },
  };

  private now(): number {
    return this.clock.now().getTime();
  }

  private live(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry?.expiresAt !== undefined && entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt !== undefined && entry.expiresAt <= now) this.entries.delete(key);
    }
  }

  private open(): void {
    if (this.closed) throw new Error("The in-memory store is closed.");
  }

  async get(key: string): Promise<string | null> {
    this.open();
    return this.store.get(key);
  }

  async set(key: string, value: string, options: SetOptions = {}): Promise<boolean> {
    this.open();
    if (options.onlyIfAbsent && this.live(key)) return false;
    this.store.set(key, value, options.ttlMs);
    return true;
  }

  async take(key: string): Promise<string | null> {
    this.open();
    const value = this.store.get(key);
    this.store.del(key);
    return value;
  }

  async del(...keys: string[]): Promise<number> {
    this.open();
    return keys.filter((key) => this.store.del(key)).length;
  }

  async ttl(key: string): Promise<number | null> {
    this.open();
    const ms = this.store.pttl(key);
    return ms < 0 ? null : ms;
  }

  async run<R>(script: AtomicScript<R>, keys: string[], args: (string | number)[]): Promise<R> {
    this.open();
    assertOneSlot(keys);
    const raw: ScriptValue = script.memory(this.store, keys, args.map(String));
    return script.decode(raw);
  }

  async ping(): Promise<void> {
    this.open();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.entries.clear();
  }
}
