import { createHash } from "node:crypto";
import { Cluster, Redis, type RedisOptions } from "ioredis";
import type { AtomicScript, KeyValueStore, ScriptValue, SetOptions } from "../../core/ports/key-value.js";

export interface IoRedisOptions {
  url: string;
  /** Prepended to every key, so tenants of one Redis (and test files) never collide. */
  prefix: string;
  /** `url` names one node of a Redis Cluster (REDIS_CLUSTER): the client learns the others from it. */
  cluster?: boolean;
}

const RECONNECT = (attempt: number) => Math.min(attempt * 200, 2_000);

/** Fail fast instead of queueing forever while Redis is down: /readyz and callers must see the outage rather than hang. */
const CONNECTION: RedisOptions = { maxRetriesPerRequest: 1, connectTimeout: 2_000 };

/** A cluster node from a `redis://` / `rediss://` URL: its address, credentials and TLS. */
function clusterSeed(url: string) {
  const parsed = new URL(url);
  const tls = parsed.protocol === "rediss:";
  return {
    seed: { host: parsed.hostname.replace(/^\[|\]$/g, ""), port: Number(parsed.port || 6379) },
    redisOptions: {
      ...CONNECTION,
      ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
      ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
      ...(tls ? { tls: {} } : {}),
    },
    tls,
  };
}

/** The Node adapter: Redis over TCP, one server or a Redis Cluster. */
export class IoRedisKeyValueStore implements KeyValueStore {
  readonly kind = "redis" as const;
  private readonly redis: Redis | Cluster;
  private readonly prefix: string;
  private readonly shas = new Map<string, string>();
  /** Cluster: the first connection, which the first commands wait for. */
  private opened: Promise<unknown> | undefined;

  constructor(options: IoRedisOptions) {
    this.prefix = options.prefix;
    if (options.cluster) {
      const { seed, redisOptions, tls } = clusterSeed(options.url);
      // MOVED and ASK are followed; TRYAGAIN (a script's keys caught mid-migration) is retried
      // every 100 ms, up to maxRedirections (16) times. Not auto-pipelined: ioredis retries a
      // redirected command only when every command of its pipeline was redirected alike.
      // No offline queue: a cluster's queue waits without limit while it is unreachable,
      // and would run stale commands (a rotation the client gave up on) when it is back.
      this.redis = new Cluster([seed], {
        lazyConnect: true,
        enableOfflineQueue: false,
        redisOptions,
        clusterRetryStrategy: RECONNECT,
        // TLS certificates name the hosts, and the nodes announce addresses: keep the names as given.
        ...(tls ? { dnsLookup: (address, callback) => callback(null, address) } : {}),
      });
    } else {
      // Commands issued in the same event-loop tick (concurrent requests) leave in one
      // write: each socket write is a syscall, and under load those cost more than the commands.
      this.redis = new Redis(options.url, {
        lazyConnect: true,
        enableOfflineQueue: true,
        ...CONNECTION,
        enableAutoPipelining: true,
        retryStrategy: RECONNECT,
      });
    }
    // Errors surface on the commands; without a listener ioredis logs them raw.
    this.redis.on("error", () => {});
  }

  private key(key: string): string {
    return this.prefix + key;
  }

  /** Connects a cluster on first use: without an offline queue, a command sent before that would fail. */
  private open(): Promise<unknown> | undefined {
    if (this.redis instanceof Cluster && this.redis.status === "wait") {
      // Its failure shows on the command, at once (the client reconnects in the background).
      this.opened ??= this.redis.connect().catch(() => undefined);
    }
    return this.opened;
  }

  /** `command` once open; at once when there is nothing to open, with no await (and its promise) of its own. */
  private whenOpen<T>(command: () => Promise<T>): Promise<T> {
    const opening = this.open();
    return opening ? opening.then(command) : command();
  }

  get(key: string): Promise<string | null> {
    return this.whenOpen(() => this.redis.get(this.key(key)));
  }

  async set(key: string, value: string, options: SetOptions = {}): Promise<boolean> {
    await this.open();
    const args: (string | number)[] = [];
    if (options.ttlMs !== undefined) args.push("PX", options.ttlMs);
    if (options.onlyIfAbsent) args.push("NX");
    const reply = await this.redis.call("SET", this.key(key), value, ...args);
    return reply === "OK";
  }

  async take(key: string): Promise<string | null> {
    await this.open();
    return this.redis.getdel(this.key(key));
  }

  async del(...keys: string[]): Promise<number> {
    if (keys.length === 0) return 0;
    await this.open();
    const full = keys.map((k) => this.key(k));
    if (this.redis instanceof Redis) return this.redis.del(...full);
    // A cluster refuses one DEL over several slots (CROSSSLOT): one each.
    const deleted = await Promise.all(full.map((key) => this.redis.del(key)));
    return deleted.reduce((sum, n) => sum + n, 0);
  }

  async ttl(key: string): Promise<number | null> {
    await this.open();
    const ms = await this.redis.pttl(this.key(key));
    return ms < 0 ? null : ms;
  }

  run<R>(script: AtomicScript<R>, keys: string[], args: (string | number)[]): Promise<R> {
    // Every refresh runs two scripts and a GET: the hot commands pay no await for opening.
    return this.whenOpen(() => this.evaluate(script, keys, args));
  }

  private async evaluate<R>(script: AtomicScript<R>, keys: string[], args: (string | number)[]): Promise<R> {
    let sha = this.shas.get(script.name);
    if (!sha) {
      sha = createHash("sha1").update(script.lua).digest("hex");
      this.shas.set(script.name, sha);
    }
    const argv: (string | number)[] = [];
    for (const key of keys) argv.push(this.prefix + key);
    for (const arg of args) argv.push(arg);
    let raw: unknown;
    try {
      raw = await this.redis.evalsha(sha, keys.length, ...argv);
    } catch (error) {
      // A restarted or flushed Redis has lost its script cache.
      if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
      raw = await this.redis.eval(script.lua, keys.length, ...argv);
    }
    return script.decode(raw as ScriptValue);
  }

  async ping(): Promise<void> {
    await this.open();
    await this.redis.ping();
  }

  async close(): Promise<void> {
    if (this.redis.status === "end") return;
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
