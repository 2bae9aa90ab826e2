import { describe, expect, it } from "vitest";
import { MemoryKeyValueStore } from "../../src/adapters/redis/memory.js";
import { assertOneSlot, hashSlot } from "../../src/core/key-slot.js";
import { deleteIfEquals } from "../../src/core/ports/key-value.js";
import { pinnedClock } from "../support/key-ring.js";

describe("Redis Cluster hash slots", () => {
  it("computes CRC16/XMODEM mod 16384 (the spec's check value 0x31C3)", () => {
    expect(hashSlot("123456789")).toBe(0x31c3);
    expect(hashSlot("")).toBe(0);
  });

  it("hashes only a non-empty hash tag: the first { and the next }", () => {
    expect(hashSlot("{user1000}.following")).toBe(hashSlot("{user1000}.followers"));
    expect(hashSlot("auth:sess:{abc}")).toBe(hashSlot("abc"));
    expect(hashSlot("foo{}{bar}")).not.toBe(hashSlot("bar"));
    expect(hashSlot("foo{{bar}}zap")).toBe(hashSlot("{bar"));
    expect(hashSlot("foo{bar}{zap}")).toBe(hashSlot("bar"));
    expect(hashSlot("ü{ß}")).toBe(hashSlot("ß"));
  });

  it("refuses keys of several slots as Redis Cluster does, in the in-memory store's scripts too", async () => {
    expect(() => assertOneSlot(["a:{s1}", "b:{s1}"])).not.toThrow();
    expect(() => assertOneSlot(["a:{s1}", "b:{s2}"])).toThrow(/^CROSSSLOT/);
    const store = new MemoryKeyValueStore(pinnedClock());
    await expect(store.run(deleteIfEquals, ["x:{one}", "y:{two}"], ["v"])).rejects.toThrow(/^CROSSSLOT/);
  });
});
