import { z } from "zod";
import {
  boolean,
  cidrList,
  DURATION_MAX,
  DURATION_MIN,
  duration,
  encryptionKeys,
  integer,
  mailFrom,
  optional,
  optionalInteger,
  otlpHeaders,
  parseDuration,
  publicUrl,
  secret,
  urlWithProtocols,
} from "./config-values.js";

/**
 * Every setting of the service, in one schema. Each runtime hands its raw
 * variables to `loadConfig` (Node: process.env; Workers: the env bindings);
 * the result is parsed once and cached per process / isolate.
 *
 * Messages never echo a received value: some variables are secrets.
 */

const HEADERS_TIMEOUT = "10s";
const REQUEST_TIMEOUT = "30s";

const schema = z.object({
  APP_ENV: z
    .enum(["development", "test", "production"], { message: 'must be "development", "test" or "production"' })
    .default("development"),
  PORT: integer(8787, 1, 65_535),
  HOST: z.string().min(1, "must not be empty").default("0.0.0.0"),
  PUBLIC_URL: optional(publicUrl),
  DATABASE_URL: optional(urlWithProtocols(["postgres:", "postgresql:"], "postgres")),
  DATA_DIR: z.string().min(1, "must not be empty").default("./data"),
  MIGRATE_ON_START: boolean(true),
  /**
   * The longest a query may run (Node: Postgres' statement_timeout, and the client gives up on the
   * connection a second later; Workers: each Neon request). Below REFRESH_GRACE_PERIOD, so a refresh
   * whose ledger write hangs still answers inside the window its client may retry in.
   */
  DATABASE_STATEMENT_TIMEOUT: duration("5s", DURATION_MAX.DATABASE_STATEMENT_TIMEOUT),
  NEON_FETCH_ENDPOINT: optional(urlWithProtocols(["http:", "https:"], "http(s)")),
  REDIS_URL: optional(urlWithProtocols(["redis:", "rediss:"], "redis")),
  /** Node: REDIS_URL names one node of a Redis Cluster; the client learns the others from it. */
  REDIS_CLUSTER: boolean(false),
  // A brace would start a hash tag in every key and put them all in one Cluster slot.
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[^{}]*$/, "must not contain { or } (they would make every key one Redis Cluster hash tag)")
    .default("auth:"),
  /** The longest a Redis command (Node) or Upstash request (Workers) may take before it fails as unavailable. */
  REDIS_COMMAND_TIMEOUT: duration("2s", DURATION_MAX.REDIS_COMMAND_TIMEOUT),
  UPSTASH_REDIS_REST_URL: optional(urlWithProtocols(["http:", "https:"], "http(s)")),
  UPSTASH_REDIS_REST_TOKEN: optional(secret(1)),
  BOOTSTRAP_ADMIN_KEY: secret(32),
  ENCRYPTION_KEYS: encryptionKeys,
  MAX_BODY_BYTES: integer(64 * 1024, 1_024, 16 * 1024 * 1024),
  READINESS_TIMEOUT: duration("2s", DURATION_MAX.READINESS_TIMEOUT),
  JWKS_MAX_AGE: duration("5m", DURATION_MAX.JWKS_MAX_AGE),
  SIGNING_KEY_ROTATION_INTERVAL: duration("30d", DURATION_MAX.SIGNING_KEY_ROTATION_INTERVAL, {
    min: DURATION_MIN.SIGNING_KEY_ROTATION_INTERVAL,
  }),
  SIGNING_KEY_CACHE_TTL: duration("30s", DURATION_MAX.SIGNING_KEY_CACHE_TTL),
  KEY_ROTATION_CHECK_INTERVAL: duration("1h", DURATION_MAX.KEY_ROTATION_CHECK_INTERVAL, {
    min: DURATION_MIN.KEY_ROTATION_CHECK_INTERVAL,
  }),
  REFRESH_GRACE_PERIOD: duration("10s", DURATION_MAX.REFRESH_GRACE_PERIOD, { min: DURATION_MIN.REFRESH_GRACE_PERIOD }),
  API_KEY_CACHE_TTL: duration("60s", DURATION_MAX.API_KEY_CACHE_TTL, { min: DURATION_MIN.API_KEY_CACHE_TTL }),
  SHUTDOWN_TIMEOUT: duration("10s", DURATION_MAX.SHUTDOWN_TIMEOUT),
  SHUTDOWN_DRAIN_DELAY: duration("5s", DURATION_MAX.SHUTDOWN_DRAIN_DELAY, { allowZero: true }),
  /** Node: a client must send a request's headers within this (slowloris); else 408 and the connection closes. */
  HTTP_HEADERS_TIMEOUT: duration(HEADERS_TIMEOUT, DURATION_MAX.HTTP_HEADERS_TIMEOUT),
  /** Node: a client must send a whole request, body included, within this; at least HTTP_HEADERS_TIMEOUT. */
  HTTP_REQUEST_TIMEOUT: duration(REQUEST_TIMEOUT, DURATION_MAX.HTTP_REQUEST_TIMEOUT),
  /** Node: how long an idle keep-alive connection stays open; above the load balancer's idle timeout (60 s on ingress-nginx, AWS ALB). */
  HTTP_KEEP_ALIVE_TIMEOUT: duration("65s", DURATION_MAX.HTTP_KEEP_ALIVE_TIMEOUT),
  /** Node: connections one process holds at once; more are closed on arrival, before they reach the file-descriptor limit. */
  MAX_CONNECTIONS: integer(10_000, 1, 1_000_000),
  /** Node: connections one client address (IPv6: /64) may hold, but a trusted proxy; past it, its oldest idle one goes. */
  MAX_CONNECTIONS_PER_ADDRESS: integer(256, 1, 1_000_000),
  /** Node: password hashes computed at once; unset, one fewer than the CPUs (at least one), so the event loop keeps a core. */
  PASSWORD_HASH_CONCURRENCY: optionalInteger(1, 1_024),
  /** Node: the longest a password hash waits for a slot; past it the request answers 503 rather than wait on. */
  PASSWORD_HASH_MAX_WAIT: duration("2s", DURATION_MAX.PASSWORD_HASH_MAX_WAIT),
  SESSION_RETENTION: duration("30d", DURATION_MAX.SESSION_RETENTION),
  /** How long audit events are kept; the daily cleanup deletes older ones. */
  AUDIT_RETENTION: duration("90d", DURATION_MAX.AUDIT_RETENTION),
  TRUSTED_PROXIES: cidrList.default([]),
  /** Node: the SMTP server, `smtp://host:port` (STARTTLS when offered) or `smtps://user:pass@host:465`. */
  SMTP_URL: optional(urlWithProtocols(["smtp:", "smtps:"], "smtp")),
  /** Sender of every mail; required when mail really leaves (SMTP_URL or POSTMARK_SERVER_TOKEN). */
  MAIL_FROM: optional(mailFrom),
  /** Workers: Postmark server API token (secret); without it mail is only logged, outside production. */
  POSTMARK_SERVER_TOKEN: optional(secret(1)),
  /** Workers: Postmark API base URL (tests point it at a local stand-in). */
  POSTMARK_API_URL: optional(urlWithProtocols(["http:", "https:"], "http(s)")),
  LOG_LEVEL: z
    .enum(["info", "warn", "error", "silent"], { message: 'must be "info", "warn", "error" or "silent"' })
    .default("info"),
  /** Node: when set, `GET /metrics` requires it as a Bearer token. */
  METRICS_TOKEN: optional(secret(16)),
  /** OTLP/HTTP base URL (the exporters append /v1/traces, /v1/metrics); absent: nothing is exported. */
  OTEL_EXPORTER_OTLP_ENDPOINT: optional(urlWithProtocols(["http:", "https:"], "http(s)")),
  OTEL_SERVICE_NAME: z.string().min(1, "must not be empty").default("authority"),
  /** Headers of every OTLP export (secret: often a collector's credentials). */
  OTEL_EXPORTER_OTLP_HEADERS: otlpHeaders.default({}),
  /** Workers: the shortest time between two OTLP metric exports of one isolate. */
  OTEL_METRICS_EXPORT_INTERVAL: duration("10s", DURATION_MAX.OTEL_METRICS_EXPORT_INTERVAL),
});

export type Config = Omit<z.output<typeof schema>, "PUBLIC_URL"> & { PUBLIC_URL: string };

export type Runtime = "node" | "worker";

export class ConfigError extends Error {
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p.variable}: ${p.message}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** Only string variables count: Worker env also carries bindings (KV, etc.). */
function stringsOnly(source: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(source)) {
    if (typeof value === "string" && value !== "") out[name] = value;
  }
  return out;
}

type Problem = { variable: string; message: string };

/**
 * `NODE_ENV=production` (set by container images and hosting platforms) with
 * no APP_ENV would otherwise run in development mode: generated secrets,
 * embedded stores, mail only logged. Refused rather than guessed.
 */
export function nodeEnvProblem(raw: Record<string, string | undefined>): Problem | undefined {
  if (raw.APP_ENV || raw.NODE_ENV !== "production") return undefined;
  return {
    variable: "APP_ENV",
    message:
      'is required when NODE_ENV is "production" (without it the service would run in development mode): ' +
      "set APP_ENV=production, or APP_ENV=development on purpose",
  };
}

/**
 * Rules that span variables or depend on the runtime and environment. They
 * read the raw strings, so they are reported together with the field errors
 * even when other variables failed to parse.
 */
function crossCheck(raw: Record<string, string>, runtime: Runtime): Problem[] {
  const problems: Problem[] = [];
  // An APP_ENV that is itself invalid is reported once, not through the rules that depend on it.
  const env = raw.APP_ENV ?? "development";
  const knownEnv = ["development", "test", "production"].includes(env);
  const need = (variable: string, message: string) => {
    if (!raw[variable]) problems.push({ variable, message });
  };
  if (knownEnv && env !== "development") need("PUBLIC_URL", "is required outside development");
  if (env === "production" && raw.PUBLIC_URL && URL.canParse(raw.PUBLIC_URL)) {
    const url = new URL(raw.PUBLIC_URL);
    if (url.protocol === "http:" && !["localhost", "127.0.0.1", "[::1]"].includes(url.hostname)) {
      problems.push({ variable: "PUBLIC_URL", message: "must use https in production" });
    }
  }
  // Node refuses a server whose headers timeout exceeds its whole-request timeout.
  const headersMs = parseDuration(raw.HTTP_HEADERS_TIMEOUT ?? HEADERS_TIMEOUT);
  const requestMs = parseDuration(raw.HTTP_REQUEST_TIMEOUT ?? REQUEST_TIMEOUT);
  // A headers timeout over its ceiling is reported once, as itself.
  const headersValid = headersMs !== undefined && headersMs <= (parseDuration(DURATION_MAX.HTTP_HEADERS_TIMEOUT) ?? 0);
  if (headersValid && requestMs !== undefined && requestMs < headersMs) {
    problems.push({ variable: "HTTP_REQUEST_TIMEOUT", message: "must be at least HTTP_HEADERS_TIMEOUT" });
  }
  if (raw.SMTP_URL || raw.POSTMARK_SERVER_TOKEN) need("MAIL_FROM", "is required when mail is sent");
  if (/^(true|1|yes)$/i.test(raw.REDIS_CLUSTER?.trim() ?? "")) {
    if (runtime === "worker") {
      problems.push({ variable: "REDIS_CLUSTER", message: "is for Node only (Workers use Upstash REST)" });
    } else need("REDIS_URL", "is required with REDIS_CLUSTER (a node of the cluster)");
  }
  if (runtime === "worker") {
    need("DATABASE_URL", "is required on Workers");
    need("UPSTASH_REDIS_REST_URL", "is required on Workers");
    need("UPSTASH_REDIS_REST_TOKEN", "is required on Workers");
  }
  if (runtime === "node" && env === "production") {
    // The embedded stores are single-process conveniences, not for production.
    need("DATABASE_URL", "is required in production (embedded PGlite is refused)");
    need("REDIS_URL", "is required in production (the in-process store is refused)");
  }
  return problems;
}

function fieldProblems(error: z.ZodError): Problem[] {
  return error.issues.map((issue) => ({
    variable: String(issue.path[0] ?? "(config)"),
    message: issue.code === "invalid_type" ? "is required" : issue.message,
  }));
}

function parseOrThrow<T extends z.ZodType>(target: T, source: Record<string, unknown>): z.output<T> {
  const result = target.safeParse(stringsOnly(source));
  if (result.success) return result.data;
  throw new ConfigError(fieldProblems(result.error));
}

/** Parses and validates; throws one ConfigError naming every bad variable. */
export function parseConfig(source: Record<string, unknown>, runtime: Runtime): Config {
  const raw = stringsOnly(source);
  const result = schema.safeParse(raw);
  const problems = result.success ? [] : fieldProblems(result.error);
  const refused = nodeEnvProblem(raw);
  // First: the other lines (missing secrets, say) follow from it.
  if (refused) problems.unshift(refused);
  for (const problem of crossCheck(raw, runtime)) {
    if (!problems.some((p) => p.variable === problem.variable)) problems.push(problem);
  }
  if (!result.success || problems.length > 0) throw new ConfigError(problems);
  const publicUrl = result.data.PUBLIC_URL ?? `http://localhost:${result.data.PORT}`;
  return { ...result.data, PUBLIC_URL: publicUrl };
}

const migrationSchema = schema.pick({ APP_ENV: true, DATABASE_URL: true, DATA_DIR: true });
export type MigrationConfig = z.output<typeof migrationSchema>;

/** `npm run migrate` needs only where the database is, not the service's secrets. */
export function parseMigrationConfig(source: Record<string, unknown>): MigrationConfig {
  const refused = nodeEnvProblem(stringsOnly(source));
  if (refused) throw new ConfigError([refused]);
  const config = parseOrThrow(migrationSchema, source);
  if (config.APP_ENV === "production" && !config.DATABASE_URL) {
    throw new ConfigError([{ variable: "DATABASE_URL", message: "is required in production" }]);
  }
  return config;
}

let cached: { source: object; config: Config } | undefined;

/** Parsed once per process or isolate; a new source object parses again. */
export function loadConfig(source: Record<string, unknown>, runtime: Runtime): Config {
  if (cached?.source === source) return cached.config;
  const config = parseConfig(source, runtime);
  cached = { source, config };
  return config;
}
