import { startUpstashBridge } from "../../scripts/dev/upstash-rest-bridge.js";
import { UpstashKeyValueStore } from "../../src/adapters/redis/upstash.js";
import { deletePrefix, testPrefix } from "../support/redis.js";
import { REDIS_URL } from "../support/services.js";
import { type KeyValueHarness, keyValueContract } from "./key-value.contract.js";
import { oidcStoreContract } from "./oidc-store.contract.js";
import { rateLimitContract } from "./rate-limit.contract.js";
import { sessionStoreContract } from "./session-store.contract.js";

async function open(): Promise<KeyValueHarness> {
  const prefix = testPrefix();
  const bridge = await startUpstashBridge({ token: crypto.randomUUID(), redisUrl: REDIS_URL });
  const store = new UpstashKeyValueStore({ url: bridge.url, token: bridge.token, prefix });
  return {
    store,
    elapse: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    close: async () => {
      await deletePrefix(prefix);
      await store.close();
      await bridge.close();
    },
  };
}

keyValueContract("@upstash/redis (REST bridge onto real Redis)", open);
sessionStoreContract("@upstash/redis (REST bridge onto real Redis)", open);
rateLimitContract("@upstash/redis (REST bridge onto real Redis)", open);
oidcStoreContract("@upstash/redis (REST bridge onto real Redis)", open);
