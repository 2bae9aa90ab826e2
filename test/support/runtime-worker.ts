import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";
import { type NeonHttpBridge, startNeonHttpBridge } from "../../scripts/dev/neon-http-bridge.js";
import { startUpstashBridge, type UpstashBridge } from "../../scripts/dev/upstash-rest-bridge.js";
import { nodeCrypto } from "../../src/adapters/crypto/node-crypto.js";
import { createNodeArgon2Hasher } from "../../src/adapters/passwords/node-argon2.js";
import { createPgDatabase } from "../../src/adapters/postgres/pg.js";
import { IoRedisKeyValueStore } from "../../src/adapters/redis/ioredis.js";
import { loadXmllintWasm } from "../../src/adapters/saml/node-xmllint.js";
import { samlifyProtocol, useSchemaValidator } from "../../src/adapters/saml/samlify.js";
import { createXmllintSchemaValidator } from "../../src/adapters/saml/xml-schema-validator.js";
import { parseConfig } from "../../src/config.js";
import { Sealer } from "../../src/core/crypto/sealing.js";
import { cryptoRandom, systemClock } from "../../src/core/ports/clock.js";
import type { Mailer } from "../../src/core/ports/mail.js";
import { createApp } from "../../src/http/app.js";
import type { AppDeps } from "../../src/http/context.js";
import { buildServices } from "../../src/http/services.js";
import { captureOutput, capturingLogger } from "./log-capture.js";
import { createTestDatabase, type TestDatabase } from "./postgres.js";
import { deletePrefix, testPrefix } from "./redis.js";
import { POSTGRES_ADMIN_URL, REDIS_URL } from "./services.js";
import { WORKER_MODULE_RULES } from "./worker-modules.js";

/**
 * The built Worker (dist/worker/worker.js, what `wrangler deploy` uploads)
 * inside workerd through Miniflare: Postgres over Neon's HTTP protocol and
 * Redis over Upstash's REST protocol, through the bridges onto the real servers.
 */
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const WORKER_SCRIPT = `${ROOT}dist/worker/worker.js`;
const WORKER_BASE = "http://worker.test";

/** compatibility_date and compatibility_flags exactly as wrangler.toml gives them to the deployed Worker. */
export function wranglerCompatibility(): { compatibilityDate: string; compatibilityFlags: string[] } {
  const toml = readFileSync(`${ROOT}wrangler.toml`, "utf8");
  const date = /^\s*compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)?.[1];
  const flags = /^\s*compatibility_flags\s*=\s*\[([^\]]*)\]/m.exec(toml)?.[1];
  if (!date || flags === undefined) throw new Error("wrangler.toml lacks compatibility_date or compatibility_flags");
  return { compatibilityDate: date, compatibilityFlags: [...flags.matchAll(/"([^"]+)"/g)].map((m) => m[1] as string) };
}

const randomClientIp = () => {
  const [a = 0, b = 0, c = 0] = randomBytes(3);
  return `198.${18 + (a & 1)}.${b}.${c}`;
};

export interface WorkerInstance {
  mf: Miniflare;
  logs: string[];
  /** A fetch onto the Worker, for paths like `/healthz`. */
  request(path: string, init?: RequestInit): Promise<Response>;
}

export interface WorkerHarness {
  database: TestDatabase;
  neonBridge: NeonHttpBridge;
  upstash: UpstashBridge;
  prefix: string;
  adminKey: string;
  encryptionKeys: string;
  publicUrl: string;
  /** Every variable a working Worker gets; `overrides` replace single ones, `undefined` drops one. */
  bindings(overrides?: Record<string, string | undefined>): Record<string, string>;
  /** `listen.port`: workerd serves HTTP on 127.0.0.1 at this port (else Miniflare picks one), for clients that fetch by URL. */
  start(overrides?: Record<string, string | undefined>, listen?: { port: number }): Promise<WorkerInstance>;
  close(): Promise<void>;
}

export async function startWorkerHarness(defaults: Record<string, string> = {}): Promise<WorkerHarness> {
  if (!existsSync(WORKER_SCRIPT)) throw new Error(`${WORKER_SCRIPT} is missing: run npm run build`);
  const database = await createTestDatabase();
  const prefix = testPrefix();
  const neonBridge = await startNeonHttpBridge({ postgresUrl: POSTGRES_ADMIN_URL });
  const upstash = await startUpstashBridge({
    token: `upstash-${randomBytes(16).toString("hex")}`,
    redisUrl: REDIS_URL,
  });
  const instances: Miniflare[] = [];
  const instanceLogs: string[][] = [];
  const harness: WorkerHarness = {
    database,
    neonBridge,
    upstash,
    prefix,
    adminKey: `worker-admin-${randomBytes(24).toString("hex")}`,
    encryptionKeys: `k1:${randomBytes(32).toString("base64")}`,
    publicUrl: "https://auth.worker.test",
    bindings(overrides = {}) {
      const all: Record<string, string | undefined> = {
        APP_ENV: "test",
        PUBLIC_URL: harness.publicUrl,
        DATABASE_URL: `postgresql://postgres:unused@neon.test/${database.name}`,
        NEON_FETCH_ENDPOINT: neonBridge.endpoint,
        UPSTASH_REDIS_REST_URL: upstash.url,
        UPSTASH_REDIS_REST_TOKEN: upstash.token,
        REDIS_KEY_PREFIX: prefix,
        BOOTSTRAP_ADMIN_KEY: harness.adminKey,
        ENCRYPTION_KEYS: harness.encryptionKeys,
        ...defaults,
        ...overrides,
      };
      return Object.fromEntries(Object.entries(all).filter((e): e is [string, string] => e[1] !== undefined));
    },
    async start(overrides = {}, listen) {
      const logs: string[] = [];
      const mf = new Miniflare({
        ...(listen ? { host: "127.0.0.1", port: listen.port } : {}),
        modules: true,
        scriptPath: WORKER_SCRIPT,
        // As wrangler bundles it: the argon2 .wasm beside the script is a precompiled module.
        modulesRules: WORKER_MODULE_RULES,
        ...wranglerCompatibility(),
        bindings: harness.bindings(overrides),
        handleStructuredLogs: ({ message }: { message: string }) => {
          logs.push(message);
        },
      });
      instances.push(mf);
      instanceLogs.push(logs);
      await mf.ready;
      return {
        mf,
        logs,
        // Miniflare's fetch types come from undici; the shapes used here are the standard ones.
        // Cloudflare's edge sets CF-Connecting-IP on every request; here each one comes from
        // another client (198.18.0.0/15) unless the test names the address.
        request: (path, init = {}) => {
          const headers = new Headers(init.headers);
          if (!headers.has("cf-connecting-ip")) headers.set("CF-Connecting-IP", randomClientIp());
          return mf.dispatchFetch(`${WORKER_BASE}${path}`, {
            ...init,
            headers,
          } as never) as unknown as Promise<Response>;
        },
      };
    },
    async close() {
      for (const logs of instanceLogs) captureOutput("worker", logs);
      await Promise.allSettled(instances.map((mf) => mf.dispose()));
      await Promise.allSettled([neonBridge.close(), upstash.close()]);
      await deletePrefix(prefix);
      await database.drop();
    },
  };
  return harness;
}

/**
 * The Node app as a second runtime of the same deployment: the Worker's own
 * variables (PUBLIC_URL, keys, Redis prefix), its database and its Redis
 * keys, for tests that carry one session, key or login across runtimes.
 * With a `mailer` it sends the account flows' mails (Node's own SMTP, say).
 */
export async function startNodeTwin(h: WorkerHarness, options: { mailer?: Mailer } = {}) {
  const config = parseConfig(h.bindings(), "node");
  const db = createPgDatabase(h.database.url, { max: 4 });
  const kv = new IoRedisKeyValueStore({ url: REDIS_URL, prefix: config.REDIS_KEY_PREFIX });
  useSchemaValidator(createXmllintSchemaValidator(await loadXmllintWasm()));
  const deps: AppDeps = {
    config,
    db,
    kv,
    clock: systemClock,
    random: cryptoRandom,
    logger: capturingLogger(),
    sealer: await Sealer.create(config.ENCRYPTION_KEYS, cryptoRandom, nodeCrypto),
    passwords: createNodeArgon2Hasher(cryptoRandom),
    samlProtocol: samlifyProtocol,
    clientIp: () => null,
    mailer: options.mailer,
  };
  const services = buildServices(deps);
  const app = createApp(deps, services);
  return {
    app,
    config,
    db,
    kv,
    services,
    async close() {
      await services.background.drain();
      await services.mailOutbox?.drain();
      options.mailer?.close?.();
      await Promise.allSettled([db.close(), kv.close()]);
    },
  };
}

export type NodeTwin = Awaited<ReturnType<typeof startNodeTwin>>;
