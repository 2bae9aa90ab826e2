import { Redis } from "@upstash/redis/cloudflare";
import { StoreUnavailableError } from "../../core/errors.js";
import type { AtomicScript, KeyValueStore, ScriptValue, SetOptions } from "../../core/ports/key-value.js";
import { errorChain } from "../store-outage.js";

export interface UpstashOptions {
  url: string;
  token: string;
  prefix: string;
  /** REDIS_COMMAND_TIMEOUT: the longest one command's request (its retries included) may take. */
  commandTimeoutMs?: number;
}

/**
 * Whether a failed command means Upstash could not be reached or could not
 * take it: anything the client's request threw but a Redis error reply (a
 * fetch that failed or timed out, whatever the runtime names it, a body that
 * is not JSON), and the replies of a database over its limits or failing.
 */
export function isUpstashUnavailable(error: unknown): boolean {
  const first = errorChain(error).next().value;
  if (!first) return false;
  if (first.name !== "UpstashError") return true;
  return typeof first.message === "string" && /^ERR (max .* limit exceeded|internal error)/i.test(first.message);
}

function fail(error: unknown): never {
  if (!isUpstashUnavailable(error)) throw error;
  // A body that is not JSON is quoted in the message: it may hold stored values, so only its kind is kept.
  const parse = (error as { name?: unknown }).name === "UpstashJSONParseError";
  throw new StoreUnavailableError("redis", parse ? new Error("Upstash answered with a body that is not JSON.") : error);
}

/** The Workers adapter: Redis over Upstash's REST API (one HTTPS request per command). */
export class UpstashKeyValueStore implements KeyValueStore {
  readonly kind = "upstash" as const;
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly scripts = new Map<string, ReturnType<Redis["createScript"]>>();

  constructor(options: UpstashOptions) {
    this.prefix = options.prefix;
    const timeoutMs = options.commandTimeoutMs ?? 2_000;
    // Every request is sent once: the client would retry a request whose answer was lost, though
    // Upstash may have run it, and a second GETDEL, SET NX or script acts twice (a spent MFA challenge
    // or code, a throttle counted twice). A failure is the caller's 503 to retry. One client, so its
    // read-your-writes token (global databases) covers every command.
    this.redis = new Redis({
      url: options.url,
      token: options.token,
      // Values are ours to encode; the client must not JSON.parse them.
      automaticDeserialization: false,
      // Not `retry: false`, which @upstash/redis 1.x reads as one retry.
      retry: { retries: 0 },
      enableTelemetry: false,
      // A signal of its own per request: a fetch that hangs fails instead of holding the request.
      signal: () => AbortSignal.timeout(timeoutMs),
    });
  }

  private key(key: string): string {
    return this.prefix + key;
  }

  async get(key: string): Promise<string | null> {
    return this.redis.get<string>(this.key(key)).catch(fail);
  }

  async set(key: string, value: string, options: SetOptions = {}): Promise<boolean> {
    const reply = await this.write(key, value, options).catch(fail);
    return reply === "OK";
  }

  private write(key: string, value: string, options: SetOptions) {
    const { ttlMs, onlyIfAbsent } = options;
    if (ttlMs !== undefined) {
      return onlyIfAbsent
        ? this.redis.set(this.key(key), value, { px: ttlMs, nx: true })
        : this.redis.set(this.key(key), value, { px: ttlMs });
    }
    return onlyIfAbsent ? this.redis.set(this.key(key), value, { nx: true }) : this.redis.set(this.key(key), value);
  }

  async take(key: string): Promise<string | null> {
    return this.redis.getdel<string>(this.key(key)).catch(fail);
  }

  async del(...keys: string[]): Promise<number> {
    if (keys.length === 0) return 0;
    return this.redis.del(...keys.map((k) => this.key(k))).catch(fail);
  }

  async ttl(key: string): Promise<number | null> {
    const ms = await this.redis.pttl(this.key(key)).catch(fail);
    return ms < 0 ? null : ms;
  }

  async run<R>(script: AtomicScript<R>, keys: string[], args: (string | number)[]): Promise<R> {
    let compiled = this.scripts.get(script.name);
    if (!compiled) {
      // The client's Script tries EVALSHA first and falls back to EVAL on NOSCRIPT.
      compiled = this.redis.createScript(script.lua);
      this.scripts.set(script.name, compiled);
    }
    const raw = await compiled
      .exec(
        keys.map((k) => this.key(k)),
        args.map(String),
      )
      .catch(fail);
    return script.decode(raw as ScriptValue);
  }

  async ping(): Promise<void> {
    await this.redis.ping().catch(fail);
  }

  async close(): Promise<void> {}
}
