/**
 * The app as createApp builds it, asked for its own description: the OpenAPI
 * document it serves at GET /openapi.json and every route it mounts. Nothing
 * is served and nothing is stored: the database is never reached (the
 * document is built from the routes alone), the store is in memory.
 */
import { nodeCrypto } from "../../src/adapters/crypto/node-crypto.js";
import { createNodeArgon2Hasher } from "../../src/adapters/passwords/node-argon2.js";
import { MemoryKeyValueStore } from "../../src/adapters/redis/memory.js";
import { samlifyProtocol } from "../../src/adapters/saml/samlify.js";
import { silentLogger } from "../../src/adapters/telemetry/console-logger.js";
import { parseConfig } from "../../src/config.js";
import { Sealer } from "../../src/core/crypto/sealing.js";
import { cryptoRandom, systemClock } from "../../src/core/ports/clock.js";
import type { Database } from "../../src/core/ports/database.js";
import { createApp } from "../../src/http/app.js";
import type { OpenApiDocument } from "./openapi-types.js";

/** Any use of it fails loudly: describing the routes must not need Postgres. */
const noDatabase: Database = new Proxy(() => {}, {
  get: (_target, property) => (property === "then" ? undefined : noDatabase),
  apply: () => {
    throw new Error("the HTTP reference is built from the routes alone; nothing may query the database");
  },
}) as unknown as Database;

export interface AppDescription {
  document: OpenApiDocument;
  /** Every method and path the app answers, `:name` parameters as `{name}` (OpenAPI's spelling). */
  routes: { method: string; path: string }[];
}

export async function describeApp(): Promise<AppDescription> {
  const config = parseConfig(
    {
      APP_ENV: "test",
      PUBLIC_URL: "https://auth.example.com",
      BOOTSTRAP_ADMIN_KEY: "reference-only-bootstrap-key-never-used-0000",
      ENCRYPTION_KEYS: `r1:${btoa("\0".repeat(32))}`,
    },
    "node",
  );
  const app = createApp({
    config,
    db: noDatabase,
    kv: new MemoryKeyValueStore(systemClock),
    clock: systemClock,
    random: cryptoRandom,
    logger: silentLogger,
    sealer: await Sealer.create(config.ENCRYPTION_KEYS, cryptoRandom, nodeCrypto),
    passwords: createNodeArgon2Hasher(cryptoRandom),
    samlProtocol: samlifyProtocol,
    clientIp: () => "127.0.0.1",
    // Present, so that the routes they enable are mounted (and listed) as on Node.
    docsUi: () => ({ script: "", stylesheet: "" }),
    metricsExposition: { render: async () => "", contentType: "text/plain" },
  });
  const response = await app.request("/openapi.json");
  if (response.status !== 200) throw new Error(`GET /openapi.json answered ${response.status}`);
  const routes = app.routes
    // Middleware is mounted for every method (ALL); only routes answer one.
    .filter((r) => r.method !== "ALL")
    .map((r) => ({ method: r.method, path: r.path.replace(/:([A-Za-z_]+)/g, "{$1}") }));
  return { document: (await response.json()) as OpenApiDocument, routes };
}
