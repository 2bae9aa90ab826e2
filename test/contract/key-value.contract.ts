import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AtomicScript, deleteIfEquals, type KeyValueStore, setIfPresent } from "../../src/core/ports/key-value.js";

export interface KeyValueHarness {
  store: KeyValueStore;
  /** Lets `ms` pass for the store: a pinned clock moves, a real server is waited on. */
  elapse(ms: number): Promise<void>;
  close(): Promise<void>;
}

/** A script whose Lua and memory twin must agree on types: int, string, nil, nested arrays. */
const echoTypes: AtomicScript<unknown> = {
  name: "contract_echo_types",
  lua: "return {tonumber(ARGV[1]), ARGV[2], redis.call('GET', KEYS[1]) or false, {ARGV[3]}}",
  memory: (store, [key = ""], [n = "0", s = "", t = ""]) => [Number(n), s, store.get(key), [t]],
  decode: (raw) => raw,
};

/**
 * The Redis port's contract. Every adapter (memory, ioredis, Upstash through
 * the REST bridge) runs exactly this suite.
 */
export function keyValueContract(name: string, open: () => Promise<KeyValueHarness>): void {
  describe(`KeyValueStore contract: ${name}`, () => {
    let h: KeyValueHarness;
    let kv: KeyValueStore;
    let n = 0;
    const key = (label: string) => `${label}:${++n}`;

    beforeAll(async () => {
      h = await open();
      kv = h.store;
    });
    afterAll(async () => {
      await h.close();
    });

    it("answers ping", async () => {
      await expect(kv.ping()).resolves.toBeUndefined();
    });

    it("gets what it set, and null for absent keys", async () => {
      const k = key("get");
      expect(await kv.get(k)).toBeNull();
      expect(await kv.set(k, "value")).toBe(true);
      expect(await kv.get(k)).toBe("value");
      expect(await kv.set(k, "other")).toBe(true);
      expect(await kv.get(k)).toBe("other");
    });

    it("round-trips unicode, JSON-looking and empty strings unchanged", async () => {
      for (const value of ["ünïcødé ✓ 🔑", '{"a":1}', "123", "true", "", "null", "line\nbreak"]) {
        const k = key("round");
        await kv.set(k, value);
        expect(await kv.get(k)).toBe(value);
      }
    });

    it("sets only when absent with onlyIfAbsent", async () => {
      const k = key("nx");
      expect(await kv.set(k, "first", { onlyIfAbsent: true })).toBe(true);
      expect(await kv.set(k, "second", { onlyIfAbsent: true })).toBe(false);
      expect(await kv.get(k)).toBe("first");
    });

    it("expires keys after their ttl and reports the remaining ttl", async () => {
      const k = key("ttl");
      await kv.set(k, "v", { ttlMs: 300 });
      const remaining = await kv.ttl(k);
      expect(remaining).toBeGreaterThan(0);
      expect(remaining).toBeLessThanOrEqual(300);
      await h.elapse(450);
      expect(await kv.get(k)).toBeNull();
      expect(await kv.ttl(k)).toBeNull();
    });

    it("reports no ttl for keys without expiry", async () => {
      const k = key("nottl");
      await kv.set(k, "v");
      expect(await kv.ttl(k)).toBeNull();
    });

    it("lets an expired key be set again with onlyIfAbsent", async () => {
      const k = key("nx-expired");
      await kv.set(k, "old", { ttlMs: 200, onlyIfAbsent: true });
      await h.elapse(350);
      expect(await kv.set(k, "new", { ttlMs: 1000, onlyIfAbsent: true })).toBe(true);
      expect(await kv.get(k)).toBe("new");
    });

    it("takes a value exactly once, even when raced", async () => {
      const k = key("take");
      await kv.set(k, "once");
      const results = await Promise.all(Array.from({ length: 8 }, () => kv.take(k)));
      expect(results.filter((r) => r === "once")).toHaveLength(1);
      expect(results.filter((r) => r === null)).toHaveLength(7);
      expect(await kv.get(k)).toBeNull();
    });

    it("deletes keys and counts those that existed", async () => {
      const [a, b, c] = [key("del"), key("del"), key("del")];
      await kv.set(a, "1");
      await kv.set(b, "2");
      expect(await kv.del(a, b, c)).toBe(2);
      expect(await kv.get(a)).toBeNull();
      expect(await kv.del()).toBe(0);
    });

    it("runs a script whose results keep their types", async () => {
      const k = key("echo");
      await kv.set(k, "stored");
      expect(await kv.run(echoTypes, [k], [42, "text", "nested"])).toEqual([42, "text", "stored", ["nested"]]);
      // A nil inside a Lua table would cut the table short; scripts return false, which arrives as null.
      expect(await kv.run(echoTypes, [key("absent")], [1, "s", "t"])).toEqual([1, "s", null, ["t"]]);
    });

    it("deletes only when the value still matches", async () => {
      const k = key("cad");
      await kv.set(k, "mine");
      expect(await kv.run(deleteIfEquals, [k], ["theirs"])).toBe(false);
      expect(await kv.get(k)).toBe("mine");
      expect(await kv.run(deleteIfEquals, [k], ["mine"])).toBe(true);
      expect(await kv.get(k)).toBeNull();
      expect(await kv.run(deleteIfEquals, [k], ["mine"])).toBe(false);
    });

    it("replaces only a value that is still there, with a new time to live", async () => {
      const k = key("xx");
      expect(await kv.run(setIfPresent, [k], ["new", 60_000])).toBe(false);
      expect(await kv.get(k)).toBeNull();
      await kv.set(k, "old", { ttlMs: 1_000 });
      expect(await kv.run(setIfPresent, [k], ["new", 60_000])).toBe(true);
      expect(await kv.get(k)).toBe("new");
      expect(await kv.ttl(k)).toBeGreaterThan(30_000);
    });
  });
}
