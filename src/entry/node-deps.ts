import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { HttpBindings } from "@hono/node-server";
import { getConnInfo } from "@hono/node-server/conninfo";
import type { Context } from "hono";
import { nodeCrypto } from "../adapters/crypto/node-crypto.js";
import { createLogMailer } from "../adapters/mail/log-mailer.js";
import { createSmtpMailer } from "../adapters/mail/smtp.js";
import { createNodeEgressFetch } from "../adapters/net/node-egress-fetch.js";
import { HashQueue } from "../adapters/passwords/hash-queue.js";
import { createNodeArgon2Hasher } from "../adapters/passwords/node-argon2.js";
import { type MigrationState, migratePostgres, migrationStateOf } from "../adapters/postgres/migrate-pg.js";
import { createPgDatabase } from "../adapters/postgres/pg.js";
import { openPgliteDatabase } from "../adapters/postgres/pglite.js";
import { IoRedisKeyValueStore } from "../adapters/redis/ioredis.js";
import { MemoryKeyValueStore } from "../adapters/redis/memory.js";
import { threadedSamlProtocol } from "../adapters/saml/node-thread.js";
import { loadXmllintWasm } from "../adapters/saml/node-xmllint.js";
import { samlifyProtocol, useSchemaValidator } from "../adapters/saml/samlify.js";
import { createXmllintSchemaValidator } from "../adapters/saml/xml-schema-validator.js";
import { PrometheusMetrics } from "../adapters/telemetry/prometheus.js";
import type { Config } from "../config.js";
import { Sealer } from "../core/crypto/sealing.js";
import { egressPolicyFor } from "../core/net/egress.js";
import { type Cidr, clientAddress } from "../core/net/ip.js";
import { cryptoRandom, systemClock } from "../core/ports/clock.js";
import type { Database } from "../core/ports/database.js";
import type { Logger } from "../core/ports/logger.js";
import type { Mailer } from "../core/ports/mail.js";
import type { AppDeps } from "../http/context.js";

/** Both src/entry/*.ts and the bundled dist/node/*.js sit two levels below the root. */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL("../../migrations", import.meta.url));

/** Postgres over TCP when DATABASE_URL is set; otherwise PGlite on disk, migrated on open. */
export async function openNodeDatabase(
  config: Pick<Config, "DATABASE_URL" | "DATA_DIR" | "MIGRATE_ON_START"> &
    Partial<Pick<Config, "DATABASE_STATEMENT_TIMEOUT">>,
  logger: Logger,
): Promise<Database> {
  if (config.DATABASE_URL) {
    if (config.MIGRATE_ON_START) {
      // On a connection of its own, with no statement timeout: a migration may rewrite a big table.
      const state = await migratePostgres(config.DATABASE_URL, MIGRATIONS_FOLDER);
      logger.info("migrations_applied", { driver: "pg", applied: state.applied, known: state.known });
      warnOfSchemaMismatch(state, logger);
    } else {
      warnOfSchemaMismatch(await migrationStateOf(config.DATABASE_URL, MIGRATIONS_FOLDER), logger);
    }
    return createPgDatabase(config.DATABASE_URL, { statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT });
  }
  const dir = join(config.DATA_DIR, "pglite");
  mkdirSync(dir, { recursive: true });
  const db = await openPgliteDatabase(dir, MIGRATIONS_FOLDER);
  logger.info("migrations_applied", { driver: "pglite", data_dir: dir });
  return db;
}

/**
 * A release on a database another release migrated still serves, but the
 * operator should know: after a rollback (migrations it does not know) or
 * before its migration job ran (migrations it needs, missing).
 */
function warnOfSchemaMismatch(state: MigrationState, logger: Logger): void {
  if (state.unknown > 0) logger.warn("database_migrated_by_newer_release", { unknown_migrations: state.unknown });
  if (state.pending > 0) logger.warn("database_migrations_pending", { pending_migrations: state.pending });
}

/** Sender of logged mail when MAIL_FROM is unset (development only: nothing is delivered). */
const LOGGED_MAIL_FROM = "authority@localhost";

/** SMTP when SMTP_URL is set; otherwise the mail is logged, outside production only. */
export function openNodeMailer(config: Config, logger: Logger): Mailer | undefined {
  if (config.SMTP_URL) return createSmtpMailer(config.SMTP_URL, config.MAIL_FROM as string);
  // Mail that carries secrets is never only logged in production: no mailer until one is configured.
  if (config.APP_ENV === "production") return undefined;
  return createLogMailer(logger, config.MAIL_FROM ?? LOGGED_MAIL_FROM);
}

/** The socket's peer, or the client behind it when the peer is a trusted proxy (TRUSTED_PROXIES). */
function nodeClientIp(trusted: Cidr[]): (c: Context) => string | null {
  return (c) => {
    let peer: string | null;
    try {
      peer = getConnInfo(c).remote.address ?? null;
    } catch {
      peer = null; // not served by @hono/node-server (e.g. app.request in tests)
    }
    return trusted.length === 0 ? peer : clientAddress(peer, c.req.header("x-forwarded-for"), trusted);
  };
}

/**
 * The headers of every response straight onto the ServerResponse: writeHead,
 * with which @hono/node-server writes the Response, lets the Response's own
 * headers of the same names win (any case), and the app reads no Headers.
 */
function presetNodeHeaders(c: Context, headers: Record<string, string>): boolean {
  const outgoing = (c.env as Partial<HttpBindings> | undefined)?.outgoing;
  if (!outgoing) return false; // not served by @hono/node-server (e.g. app.request in tests)
  for (const name in headers) outgoing.setHeader(name, headers[name] as string);
  return true;
}

/**
 * Whether the request's client is still connected: Node destroys the
 * response when the socket closes (the request itself reads as destroyed
 * once its body is read, so it cannot tell).
 */
export function nodeClientPresence(c: Context): (() => boolean) | undefined {
  const outgoing = (c.env as Partial<HttpBindings> | undefined)?.outgoing;
  return outgoing && (() => !outgoing.destroyed);
}

/** The adapters the Node runtime uses for this configuration. */
export async function openNodeDeps(config: Config, logger: Logger): Promise<AppDeps> {
  const mailer = openNodeMailer(config, logger);
  const db = await openNodeDatabase(config, logger);
  const kv = config.REDIS_URL
    ? new IoRedisKeyValueStore({
        url: config.REDIS_URL,
        prefix: config.REDIS_KEY_PREFIX,
        cluster: config.REDIS_CLUSTER,
        commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT,
      })
    : new MemoryKeyValueStore(systemClock);
  // SAML schema validation for samlify (process-wide), from the xmllint WASM compiled once;
  // responses are verified on a worker thread (built next to this entry) with the same module.
  const xmllint = await loadXmllintWasm();
  useSchemaValidator(createXmllintSchemaValidator(xmllint));
  // One registry for the process: the port records into it and GET /metrics renders it.
  const metrics = new PrometheusMetrics();
  const egressPolicy = egressPolicyFor(config.APP_ENV);
  const hashes = new HashQueue({
    limit: config.PASSWORD_HASH_CONCURRENCY,
    maxWaitMs: config.PASSWORD_HASH_MAX_WAIT,
    metrics,
  });
  metrics.gauge("password_hash_queue_depth", () => hashes.waiting);
  return {
    config,
    db,
    kv,
    clock: systemClock,
    random: cryptoRandom,
    logger,
    sealer: await Sealer.create(config.ENCRYPTION_KEYS, cryptoRandom, nodeCrypto),
    passwords: createNodeArgon2Hasher(cryptoRandom, hashes),
    clientIp: nodeClientIp(config.TRUSTED_PROXIES),
    presetHeaders: presetNodeHeaders,
    clientPresence: nodeClientPresence,
    egressPolicy,
    // Provider URLs are checked again at connect time, against the addresses their names resolve to.
    upstreamFetch: createNodeEgressFetch(egressPolicy),
    metrics,
    metricsExposition: metrics,
    mailer,
    samlProtocol: threadedSamlProtocol(samlifyProtocol, new URL("./saml-worker.js", import.meta.url), xmllint),
  };
}
