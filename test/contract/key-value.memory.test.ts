import { describe, expect, it } from "vitest";
import { MemoryKeyValueStore } from "../../src/adapters/redis/memory.js";
import { pinnedClock } from "../support/key-ring.js";
import { type KeyValueHarness, keyValueContract } from "./key-value.contract.js";
import { oidcStoreContract } from "./oidc-store.contract.js";
import { rateLimitContract } from "./rate-limit.contract.js";
import { sessionStoreContract } from "./session-store.contract.js";

async function open(): Promise<KeyValueHarness> {
  const clock = pinnedClock();
  const store = new MemoryKeyValueStore(clock);
  return { store, elapse: async (ms) => clock.advance(ms), close: () => store.close() };
}

keyValueContract("memory", open);
sessionStoreContract("memory", open);
rateLimitContract("memory", open);
oidcStoreContract("memory", open);

describe("MemoryKeyValueStore", () => {
  it("refuses work once closed", async () => {
    const store = new MemoryKeyValueStore(pinnedClock());
    await store.close();
    await expect(store.get("k")).rejects.toThrow(/closed/);
  });

  it("forgets expired entries instead of growing without bound", async () => {
    const clock = pinnedClock();
    const store = new MemoryKeyValueStore(clock);
    for (let i = 0; i < 1_000; i++) await store.set(`k${i}`, "v", { ttlMs: 10 });
    clock.advance(20);
    for (let i = 0; i < 1_000; i++) await store.set(`fresh${i}`, "v");
    // The sweep every 1,000 writes dropped the expired half.
    expect((store as unknown as { entries: Map<string, unknown> }).entries.size).toBe(1_000);
  });
});
