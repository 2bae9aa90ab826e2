import type { Cluster } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IoRedisKeyValueStore } from "../../src/adapters/redis/ioredis.js";
import { hashSlot } from "../../src/core/key-slot.js";
import { childrenKey, ledgerLiveKey, revokedJtiKey, sessionKeys } from "../../src/core/sessions/session-state.js";
import {
  deletePrefix,
  type RedisUnderTest,
  redisClient,
  redisCluster,
  SINGLE_REDIS,
  testPrefix,
} from "../support/redis.js";
import { type KeyValueHarness, keyValueContract } from "./key-value.contract.js";
import { oidcStoreContract } from "./oidc-store.contract.js";
import { rateLimitContract } from "./rate-limit.contract.js";
import { sessionStoreContract } from "./session-store.contract.js";

/** The same suites on one server and on a 3-master Redis Cluster (where a cross-slot script fails). */
const TOPOLOGIES: { label: string; redis: () => RedisUnderTest }[] = [
  { label: "ioredis (real Redis)", redis: () => SINGLE_REDIS },
  { label: "ioredis (real Redis Cluster, 3 masters)", redis: redisCluster },
];

for (const { label, redis } of TOPOLOGIES) {
  const open = async (): Promise<KeyValueHarness> => {
    const target = redis();
    const prefix = testPrefix();
    const store = new IoRedisKeyValueStore({ url: target.url, prefix, cluster: target.cluster });
    return {
      store,
      elapse: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      close: async () => {
        await deletePrefix(prefix, target);
        await store.close();
      },
    };
  };
  keyValueContract(label, open);
  sessionStoreContract(label, open);
  rateLimitContract(label, open);
  oidcStoreContract(label, open);
}

describe("hash slots, as the real Redis Cluster computes them", () => {
  let cluster: Cluster;
  beforeAll(() => {
    cluster = redisClient(redisCluster()) as Cluster;
  });
  afterAll(() => {
    cluster.disconnect();
  });

  it("agree with CLUSTER KEYSLOT, for the session keys (prefixed) and odd tags alike", async () => {
    const sid = crypto.randomUUID();
    const keys = [
      ...sessionKeys(sid),
      childrenKey(sid),
      revokedJtiKey(sid, crypto.randomUUID()),
      ledgerLiveKey(sid),
      "auth:lt:{tenant:account}:p:198.51.100.0",
      "no tag at all",
      "foo{}{bar}",
      "foo{{bar}}zap",
      "ünïcødé{✓}",
    ].flatMap((key) => [key, `auth:${key}`]);
    for (const key of keys) expect(hashSlot(key), key).toBe(await cluster.cluster("KEYSLOT", key));
  });
});
