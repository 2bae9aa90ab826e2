import { describe, expect, it } from "vitest";
import { BoundedCache } from "../../src/core/bounded-cache.js";

describe("BoundedCache", () => {
  it("evicts the oldest entry when full, expires entries after their ttl, and deletes by prefix", () => {
    const cache = new BoundedCache<number>(2, 1_000);
    cache.set("a", 1, 0);
    cache.set("b", 2, 0);
    cache.set("a", 3, 0); // set again: now the newest
    cache.set("c", 4, 0); // full: "b", the oldest, makes room
    expect([cache.get("a", 0), cache.get("b", 0), cache.get("c", 0)]).toEqual([3, undefined, 4]);
    expect(cache.get("a", 999)).toBe(3);
    expect(cache.get("a", 1_000)).toBeUndefined();
    cache.set("x:1", 5, 0);
    cache.deleteMatching("x:");
    expect(cache.get("x:1", 0)).toBeUndefined();
    expect(cache.get("c", 0)).toBe(4);
  });

  it("keeps entries without a ttl until evicted", () => {
    const cache = new BoundedCache<string>(1);
    cache.set("k", "v");
    expect(cache.get("k", Number.MAX_SAFE_INTEGER)).toBe("v");
  });
});
