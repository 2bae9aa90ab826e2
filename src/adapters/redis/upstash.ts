import { Redis } from "@upstash/redis/cloudflare";
import type { AtomicScript, KeyValueStore, ScriptValue, SetOptions } from "../../core/ports/key-value.js";

export interface UpstashOptions {
  url: string;
  token: string;
  prefix: string;
}

/** The Workers adapter: Redis over Upstash's REST API (one HTTPS request per command). */
export class UpstashKeyValueStore implements KeyValueStore {
  readonly kind = "upstash" as const;
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly scripts = new Map<string, ReturnType<Redis["createScript"]>>();

  constructor(options: UpstashOptions) {
    this.prefix = options.prefix;
    this.redis = new Redis({
      url: options.url,
      token: options.token,
      // Values are ours to encode; the client must not JSON.parse them.
      automaticDeserialization: false,
      retry: { retries: 2, backoff: (attempt) => 50 * 2 ** attempt },
      enableTelemetry: false,
    });
  }

  private key(key: string): string {
    return this.prefix + key;
  }

  async get(key: string): Promise<string | null> {
    return this.redis.get<string>(this.key(key));
  }

  async set(key: string, value: string, options: SetOptions = {}): Promise<boolean> {
    const reply =
      options.ttlMs !== undefined
        ? options.onlyIfAbsent
          ? await this.redis.set(this.key(key), value, { px: options.ttlMs, nx: true })
          : await this.redis.set(this.key(key), value, { px: options.ttlMs })
        : options.onlyIfAbsent
          ? await this.redis.set(this.key(key), value, { nx: true })
          : await this.redis.set(this.key(key), value);
    return reply === "OK";
  }

  async take(key: string): Promise<string | null> {
    return this.redis.getdel<string>(this.key(key));
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
    let compiled = this.scripts.get(script.name);
    if (!compiled) {
      // The client's Script tries EVALSHA first and falls back to EVAL on NOSCRIPT.
      compiled = this.redis.createScript(script.lua);
      this.scripts.set(script.name, compiled);
    }
    const raw = await compiled.exec(
      keys.map((k) => this.key(k)),
      args.map(String),
    );
    return script.decode(raw as ScriptValue);
  }

  async ping(): Promise<void> {
    await this.redis.ping();
  }

  async close(): Promise<void> {}
}
