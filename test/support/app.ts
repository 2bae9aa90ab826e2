import type { Context } from "hono";
import { nodeCrypto } from "../../src/adapters/crypto/node-crypto.js";
import { loadSwaggerUiAssets } from "../../src/adapters/docs/swagger-ui-node.js";
import { createNodeArgon2Hasher } from "../../src/adapters/passwords/node-argon2.js";
import { createPgDatabase } from "../../src/adapters/postgres/pg.js";
import { IoRedisKeyValueStore } from "../../src/adapters/redis/ioredis.js";
import { loadXmllintWasm } from "../../src/adapters/saml/node-xmllint.js";
import { samlifyProtocol, useSchemaValidator } from "../../src/adapters/saml/samlify.js";
import { createXmllintSchemaValidator } from "../../src/adapters/saml/xml-schema-validator.js";
import { parseConfig } from "../../src/config.js";
import { Sealer } from "../../src/core/crypto/sealing.js";
import { assertOneSlot } from "../../src/core/key-slot.js";
import { cryptoRandom, systemClock } from "../../src/core/ports/clock.js";
import type { AtomicScript } from "../../src/core/ports/key-value.js";
import { createApp } from "../../src/http/app.js";
import type { AppDeps, Services } from "../../src/http/context.js";
import { buildServices } from "../../src/http/services.js";
import { alsoCaptured, capturingLogger } from "./log-capture.js";
import { createTestDatabase, type TestDatabase } from "./postgres.js";
import { deletePrefix, type RedisUnderTest, SINGLE_REDIS, testPrefix } from "./redis.js";

export const TEST_ADMIN_KEY = "test-bootstrap-admin-key-0123456789abcdef";
export const TEST_PUBLIC_URL = "https://auth.test.example";

/**
 * The client address of a test request: `X-Test-Client-Ip` when the test sets
 * one (rate-limit tests, session listings), otherwise a fresh address from
 * 198.18.0.0/15 (RFC 2544) per request, as if every request came from another
 * client, so suites that sign up many users are not throttled by one network.
 */
function testClientIp(c: Context): string {
  const chosen = c.req.header("x-test-client-ip");
  if (chosen) return chosen;
  const [a = 0, b = 0, d = 0] = crypto.getRandomValues(new Uint8Array(3));
  return `198.${18 + (a & 1)}.${b}.${d}`;
}

/** Settings a test app runs with; `overrides` change single variables. */
export function testConfig(overrides: Record<string, string> = {}) {
  return parseConfig(
    {
      APP_ENV: "test",
      PUBLIC_URL: TEST_PUBLIC_URL,
      BOOTSTRAP_ADMIN_KEY: TEST_ADMIN_KEY,
      ENCRYPTION_KEYS: `t1:${btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))}`,
      ...overrides,
    },
    "node",
  );
}

export interface TestApp {
  app: ReturnType<typeof createApp>;
  deps: AppDeps;
  services: Services;
  database: TestDatabase;
  /** The Redis the app runs on, and its key prefix there. */
  redis: RedisUnderTest;
  prefix: string;
  close(): Promise<void>;
}

/**
 * Refuses, as Redis Cluster would (CROSSSLOT), a script whose keys span
 * several hash slots, so every suite on one Redis server proves the scripts
 * it runs would work on a cluster.
 */
class SlotCheckedStore extends IoRedisKeyValueStore {
  override run<R>(script: AtomicScript<R>, keys: string[], args: (string | number)[]): Promise<R> {
    assertOneSlot(keys);
    return super.run(script, keys, args);
  }
}

/** The full app on a real Postgres database and real Redis (a server, by default), with keys of this file's own. */
export async function startTestApp(
  overrides: Partial<AppDeps> = {},
  configOverrides: Record<string, string> = {},
  redis: RedisUnderTest = SINGLE_REDIS,
): Promise<TestApp> {
  const database = await createTestDatabase();
  const prefix = testPrefix();
  const config = testConfig(configOverrides);
  const deps: AppDeps = {
    config,
    db: createPgDatabase(database.url, { max: 4 }),
    kv: new SlotCheckedStore({ url: redis.url, prefix, cluster: redis.cluster }),
    clock: systemClock,
    random: cryptoRandom,
    sealer: await Sealer.create(config.ENCRYPTION_KEYS, cryptoRandom, nodeCrypto),
    passwords: createNodeArgon2Hasher(cryptoRandom),
    samlProtocol: samlifyProtocol,
    clientIp: testClientIp,
    docsUi: loadSwaggerUiAssets,
    ...overrides,
    logger: overrides.logger ? alsoCaptured(overrides.logger) : capturingLogger(),
  };
  useSchemaValidator(createXmllintSchemaValidator(await loadXmllintWasm()));
  const services = buildServices(deps);
  return {
    app: createApp(deps, services),
    deps,
    services,
    database,
    redis,
    prefix,
    close: async () => {
      await Promise.allSettled([deps.db.close(), deps.kv.close()]);
      await deletePrefix(prefix, redis);
      await database.drop();
    },
  };
}
