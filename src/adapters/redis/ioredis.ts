import { createHash } from "node:crypto";
import { Cluster, Redis, type RedisOptions } from "ioredis";
import { StoreUnavailableError } from "../../core/errors.js";
import type { AtomicScript, KeyValueStore, ScriptValue, SetOptions } from "../../core/ports/key-value.js";
import { errorChain, isConnectionFailure } from "../store-outage.js";

export interface IoRedisOptions {
  url: string;
  /** Prepended to every key, so tenants of one Redis (and test files) never collide. */
  prefix: string;
  /** `url` names one node of a Redis Cluster (REDIS_CLUSTER): the client learns the others from it. */
  cluster?: boolean;
  /** REDIS_COMMAND_TIMEOUT: a command not answered within it fails (default 2 s). */
  commandTimeoutMs?: number;
}

const RECONNECT = (attempt: number) => Math.min(attempt * 200, 2_000);

const TIMED_OUT = "Command timed out";

/**
 * Fail fast instead of waiting on a Redis that is down or has stopped answering: /readyz and callers
 * must see the outage rather than hang. A command sent before a connection broke is not sent again
 * after it is back (its caller was answered already), and idle connections are probed (keepalive).
 */
const connection = (commandTimeout: number): RedisOptions => ({
  maxRetriesPerRequest: 1,
  connectTimeout: 2_000,
  commandTimeout,
  autoResendUnfulfilledCommands: false,
  keepAlive: 10_000,
  // A connection given up on is closed without waiting 2 s for a peer that no longer answers.
  disconnectTimeout: 200,
  // No CLIENT SETINFO before the ready check: a stalled server is found after one timeout, not two.
  disableClientInfo: true,
});

/**
 * ioredis' own errors when it cannot reach Redis or gave up waiting, and the
 * replies of a Redis that cannot take commands now (loading its data,
 * running a long script, a cluster without its masters).
 */
const UNAVAILABLE_MESSAGES =
  /^(Connection is closed|Command timed out|Stream isn't writeable|Cluster isn't ready|Failed to refresh slots cache|Ready check failed|connect ETIMEDOUT|Command aborted due to connection close|(LOADING|BUSY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN) )/;

/** Whether a failed command means Redis is unreachable or cannot take it now. */
export function isRedisUnavailable(error: unknown): boolean {
  for (const link of errorChain(error)) {
    if (isConnectionFailure(link)) return true;
    if (link.name === "MaxRetriesPerRequestError" || link.name === "ClusterAllFailedError") return true;
    if (typeof link.message === "string" && UNAVAILABLE_MESSAGES.test(link.message)) return true;
  }
  return false;
}

/** A cluster node from a `redis://` / `rediss://` URL: its address, credentials and TLS. */
function clusterSeed(url: string, commandTimeout: number) {
  const parsed = new URL(url);
  const tls = parsed.protocol === "rediss:";
  return {
    seed: { host: parsed.hostname.replace(/^\[|\]$/g, ""), port: Number(parsed.port || 6379) },
    redisOptions: {
      ...connection(commandTimeout),
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
    const commandTimeout = options.commandTimeoutMs ?? 2_000;
    // No offline queue, on a cluster as on one server: a queue waits without limit while Redis is
    // unreachable, and would run stale commands (a rotation the client gave up on) when it is back.
    // So commands fail at once while there is no connection, and the first ones wait for it (open).
    if (options.cluster) {
      const { seed, redisOptions, tls } = clusterSeed(options.url, commandTimeout);
      // MOVED and ASK are followed; TRYAGAIN (a script's keys caught mid-migration) is retried
      // every 100 ms, up to maxRedirections (16) times. Not auto-pipelined: ioredis retries a
      // redirected command only when every command of its pipeline was redirected alike.
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
        enableOfflineQueue: false,
        ...connection(commandTimeout),
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

  /** Connects on first use: without an offline queue, a command sent before that would fail. */
  private open(): Promise<unknown> | undefined {
    if (this.redis.status === "wait") {
      // Its failure shows on the command, at once (the client reconnects in the background).
      this.opened ??= this.redis
        .connect()
        .catch(() => undefined)
        .finally(() => {
          this.opened = undefined;
        });
    }
    return this.opened;
  }

  /** `command` once open; at once when there is nothing to open, with no await (and its promise) of its own. */
  private whenOpen<T>(command: () => Promise<T>): Promise<T> {
    const opening = this.open();
    return opening ? opening.then(command) : command();
  }

  /**
   * A failed command: an outage becomes the core's StoreUnavailableError. A server connection that
   * let a command time out is replaced: the commands behind it would wait as long, and run late once
   * it answers again; the new one is used once it passes its ready check (within the same timeout).
   */
  private readonly fail = (error: unknown): never => {
    if (!isRedisUnavailable(error)) throw error;
    const timedOut = error instanceof Error && error.message === TIMED_OUT;
    if (timedOut && this.redis instanceof Redis && this.redis.status === "ready") this.redis.disconnect(true);
    throw new StoreUnavailableError("redis", error);
  };

  get(key: string): Promise<string | null> {
    return this.whenOpen(() => this.redis.get(this.key(key))).catch(this.fail);
  }

  async set(key: string, value: string, options: SetOptions = {}): Promise<boolean> {
    await this.open();
    const args: (string | number)[] = [];
    if (options.ttlMs !== undefined) args.push("PX", options.ttlMs);
    if (options.onlyIfAbsent) args.push("NX");
    const reply = await this.redis.call("SET", this.key(key), value, ...args).catch(this.fail);
    return reply === "OK";
  }

  async take(key: string): Promise<string | null> {
    await this.open();
    return this.redis.getdel(this.key(key)).catch(this.fail);
  }

  async del(...keys: string[]): Promise<number> {
    if (keys.length === 0) return 0;
    await this.open();
    const full = keys.map((k) => this.key(k));
    if (this.redis instanceof Redis) return this.redis.del(...full).catch(this.fail);
    // A cluster refuses one DEL over several slots (CROSSSLOT): one each.
    const deleted = await Promise.all(full.map((key) => this.redis.del(key))).catch(this.fail);
    return deleted.reduce((sum, n) => sum + n, 0);
  }

  async ttl(key: string): Promise<number | null> {
    await this.open();
    const ms = await this.redis.pttl(this.key(key)).catch(this.fail);
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
      if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) this.fail(error);
      raw = await this.redis.eval(script.lua, keys.length, ...argv).catch(this.fail);
    }
    return script.decode(raw as ScriptValue);
  }

  async ping(): Promise<void> {
    await this.open();
    await this.redis.ping().catch(this.fail);
  }

  async close(): Promise<void> {
    if (this.redis.status === "end") return;
    // Never connected: QUIT would connect first.
    if (this.redis.status === "wait") return this.redis.disconnect();
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
