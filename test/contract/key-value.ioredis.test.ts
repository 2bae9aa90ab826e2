import { IoRedisKeyValueStore } from "../../src/adapters/redis/ioredis.js";
import { deletePrefix, testPrefix } from "../support/redis.js";
import { REDIS_URL } from "../support/services.js";
import { type KeyValueHarness, keyValueContract } from "./key-value.contract.js";
import { oidcStoreContract } from "./oidc-store.contract.js";
import { rateLimitContract } from "./rate-limit.contract.js";
import { sessionStoreContract } from "./session-store.contract.js";

async function open(): Promise<KeyValueHarness> {
  const prefix = testPrefix();
  const store = new IoRedisKeyValueStore({ url: REDIS_URL, prefix });
  return {
    store,
    elapse: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    close: async () => {
      await deletePrefix(prefix);
      await store.close();
    },
  };
}

keyValueContract("ioredis (real Redis)", open);
sessionStoreContract("ioredis (real Redis)", open);
rateLimitContract("ioredis (real Redis)", open);
oidcStoreContract("ioredis (real Redis)", open);
