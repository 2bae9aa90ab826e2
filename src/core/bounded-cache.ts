/**
 * A process- or isolate-local cache bounded in size: when full, the oldest
 * entry makes room (a Map iterates in insertion order). Entries live for
 * `ttlMs` of the caller's clock, or until evicted when it is Infinity.
 */
export class BoundedCache<V> {
  private readonly entries = new Map<string, { value: V; until: number }>();

  constructor(
    private readonly max: number,
    private readonly ttlMs = Number.POSITIVE_INFINITY,
  ) {}

  get(key: string, now = 0): V | undefined {
    const hit = this.entries.get(key);
    if (hit && hit.until > now) return hit.value;
    if (hit) this.entries.delete(key);
    return undefined;
  }

  set(key: string, value: V, now = 0): void {
    this.entries.delete(key);
    if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(key, { value, until: now + this.ttlMs });
  }

  /** Deletes every entry whose key starts with `prefix`. */
  deleteMatching(prefix: string): void {
    for (const key of [...this.entries.keys()]) if (key.startsWith(prefix)) this.entries.delete(key);
  }

  delete(key: string): void {
    this.entries.delete(key);
  }
}
