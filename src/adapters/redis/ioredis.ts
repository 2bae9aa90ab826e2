import { createHash } from "node:crypto";
import { Redis } from "ioredis";
import type { AtomicScript, KeyValueStore, ScriptValue, SetOptions } from "../../core/ports/key-value.js";

export interface IoRedisOptions {
  url: string;
  /** Prepended to every key, so tenants of one Redis (and test files) never collide. */
  prefix: string;
}

/** The Node adapter: Redis over TCP. */
export class IoRedisKeyValueStore implements KeyValueStore {
  readonly kind = "redis" as const;
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly shas = new Map<string, string>();

  constructor(options: IoRedisOptions) {
    this.prefix = options.prefix;
    this.redis = new Redis(options.url, {
      lazyConnect: true,
      // Fail fast instead of queueing forever while Redis is down: /readyz and
      // callers must see the outage rather than hang.
      enableOfflineQueue: true,
      maxRetriesPerRequest: 1,
      connectTimeout: 2_000,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
      // Commands issued in the same event-loop tick (concurrent requests) leave in one
      // write: each socket write is a syscall, and under load those cost more than the commands.
      enableAutoPipelining: true,
    });
    // Errors surface on the commands; without a listener ioredis logs them raw.
    this.redis.on("error", () => {});
  }

  private key(key: string): string {
    return this.prefix + key;
  }

  async get(key: string): Promise<string | null> {
    return this.redis.get(this.key(key));
  }

  async set(key: string, value: string, options: SetOptions = {}): Promise<boolean> {
    const args: (string | number)[] = [];
    if (options.ttlMs !== undefined) args.push("PX", options.ttlMs);
    if (options.onlyIfAbsent) args.push("NX");
    const reply = await this.redis.call("SET", this.key(key), value, ...args);
    return reply === "OK";
  }

  async take(key: string): Promise<string | null> {
    return this.redis.getdel(this.key(key));
  }

  async del(...keys: string[]): Promise<number> {
    if (keys.length === 0) return 0;
    return this.redis.del(...keys.map((k) => this.key(k)));
  }

  async ttl(key: string): Promise<number | null> {
    const ms = await this.redis.pttl(this.key(key));
    return ms < 0 ? null : ms;
  }

  async run<R>(script: AtomicScript<R>, keys: string[], args: (string | number)[]): Promise<R> {
    let sha = this.shas.get(script.name);
    if (!sha) {
      sha = createHash("sha1").update(script.lua).digest("hex");
      this.shas.set(script.name, sha);
    }
    const fullKeys = keys.map((k) => this.key(k));
    let raw: unknown;
    try {
      raw = await this.redis.evalsha(sha, fullKeys.length, ...fullKeys, ...args);
    } catch (error) {
      // A restarted or flushed Redis has lost its script cache.
      if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
      raw = await this.redis.eval(script.lua, fullKeys.length, ...fullKeys, ...args);
    }
    return script.decode(raw as ScriptValue);
  }

  async ping(): Promise<void> {
    await this.redis.ping();
  }

  async close(): Promise<void> {
    if (this.redis.status === "end") return;
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
