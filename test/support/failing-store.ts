import type { AtomicScript, KeyValueStore } from "../../src/core/ports/key-value.js";

/** Makes the store's script `name` fail as a dropped Redis connection would, while `during` runs. */
export async function withFailingScript<T>(kv: KeyValueStore, name: string, during: () => T | Promise<T>): Promise<T> {
  const run = kv.run.bind(kv);
  kv.run = (<R>(script: AtomicScript<R>, keys: string[], args: (string | number)[]) =>
    script.name === name
      ? Promise.reject(new Error("Connection is closed."))
      : run(script, keys, args)) as typeof kv.run;
  try {
    return await during();
  } finally {
    kv.run = run;
  }
}
