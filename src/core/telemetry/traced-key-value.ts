import type { AtomicScript, KeyValueStore, SetOptions } from "../ports/key-value.js";
import { measure, type Telemetry } from "./measure.js";

/**
 * Spans `redis {COMMAND}` (scripts: `redis EVALSHA {script name}`) and the
 * `redis_command_duration_seconds` histogram ({command}) around every call of
 * the Redis port. Keys and values are never recorded: keys hold token hashes
 * and session ids, values hold session state.
 */
export class TracedKeyValueStore implements KeyValueStore {
  readonly kind: KeyValueStore["kind"];

  constructor(
    private readonly inner: KeyValueStore,
    private readonly telemetry: Telemetry,
  ) {
    this.kind = inner.kind;
  }

  private command<T>(command: string, fn: () => Promise<T>, script?: string): Promise<T> {
    return measure(
      this.telemetry,
      {
        name: `redis ${command}`,
        // OTel semantic conventions (Redis): db.system.name, db.operation.name; the script by name only.
        attributes: {
          "db.system.name": "redis",
          "db.operation.name": command.split(" ")[0],
          "authority.redis.script": script,
        },
      },
      { name: "redis_command_duration_seconds", labels: { command } },
      fn,
    );
  }

  get(key: string) {
    return this.command("GET", () => this.inner.get(key));
  }

  set(key: string, value: string, options?: SetOptions) {
    return this.command("SET", () => this.inner.set(key, value, options));
  }

  take(key: string) {
    return this.command("GETDEL", () => this.inner.take(key));
  }

  del(...keys: string[]) {
    return this.command("DEL", () => this.inner.del(...keys));
  }

  ttl(key: string) {
    return this.command("PTTL", () => this.inner.ttl(key));
  }

  run<R>(script: AtomicScript<R>, keys: string[], args: (string | number)[]) {
    return this.command(`EVALSHA ${script.name}`, () => this.inner.run(script, keys, args), script.name);
  }

  ping() {
    return this.command("PING", () => this.inner.ping());
  }

  close() {
    return this.inner.close();
  }
}
