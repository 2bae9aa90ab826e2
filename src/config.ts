import { z } from "zod";
import { fromBase64Url } from "./core/crypto/encoding.js";
import type { EncryptionKey } from "./core/crypto/sealing.js";
import { type Cidr, parseCidr } from "./core/net/ip.js";

/**
 * Every setting of the service, in one schema. Each runtime hands its raw
 * variables to `loadConfig` (Node: process.env; Workers: the env bindings);
 * the result is parsed once and cached per process / isolate.
 *
 * Messages never echo a received value: some variables are secrets.
 */

const DURATION = /^(\d+)(ms|s|m|h|d)?$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "90s", "10m", "30d", "250ms" or a bare number of seconds, to milliseconds; zero only when allowed. */
export function parseDuration(text: string, allowZero = false): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match) return undefined;
  const ms = Number(match[1]) * (UNIT_MS[match[2] ?? "s"] ?? 1_000);
  return Number.isSafeInteger(ms) && (ms > 0 || (allowZero && ms === 0)) ? ms : undefined;
}

/**
 * The longest each duration may be (docs/configuration.md states them).
 * Those that reach a timer (setTimeout, setInterval, a socket timeout) stay
 * far below 2^31-1 ms, past which Node and workerd fire the timer after 1 ms;
 * the retentions and the rotation interval only at about 100 years, where
 * dates computed from them still exist.
 */
export const DURATION_MAX = {
  READINESS_TIMEOUT: "1m",
  JWKS_MAX_AGE: "7d",
  SIGNING_KEY_ROTATION_INTERVAL: "36500d",
  SIGNING_KEY_CACHE_TTL: "1h",
  KEY_ROTATION_CHECK_INTERVAL: "1d",
  REFRESH_GRACE_PERIOD: "10m",
  API_KEY_CACHE_TTL: "1d",
  SHUTDOWN_TIMEOUT: "1h",
  SHUTDOWN_DRAIN_DELAY: "1h",
  HTTP_HEADERS_TIMEOUT: "1h",
  HTTP_REQUEST_TIMEOUT: "1h",
  HTTP_KEEP_ALIVE_TIMEOUT: "1h",
  SESSION_RETENTION: "36500d",
  AUDIT_RETENTION: "36500d",
  OTEL_METRICS_EXPORT_INTERVAL: "1h",
} as const;

/** A duration setting in milliseconds, from 1 ms (or 0 when allowed) to `max`. */
const duration = (fallback: string, max: string, allowZero = false) => {
  const maxMs = parseDuration(max) ?? 0;
  return z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      const ms = parseDuration(text, allowZero);
      if (ms === undefined) {
        const kind = allowZero ? "a duration" : "a positive duration";
        ctx.addIssue({ code: "custom", message: `must be ${kind} such as "30s", "10m", "30d"` });
        return z.NEVER;
      }
      if (ms > maxMs) {
        ctx.addIssue({ code: "custom", message: `must be at most ${max}` });
        return z.NEVER;
      }
      return ms;
    });
};

const integer = (fallback: number, min: number, max: number) =>
  z
    .string()
    .default(String(fallback))
    .transform((text, ctx) => {
      const value = Number(text);
      if (!/^\d+$/.test(text.trim()) || value < min || value > max) {
        ctx.addIssue({ code: "custom", message: `must be a whole number from ${min} to ${max}` });
        return z.NEVER;
      }
      return value;
    });

const boolean = (fallback: boolean) =>
  z
    .string()
    .default(String(fallback))
    .transform((text, ctx) => {
      const value = text.trim().toLowerCase();
      if (["true", "1", "yes"].includes(value)) return true;
      if (["false", "0", "no"].includes(value)) return false;
      ctx.addIssue({ code: "custom", message: 'must be "true" or "false"' });
      return z.NEVER;
    });

function urlWithProtocols(protocols: string[], what: string) {
  return z.string().transform((text, ctx) => {
    let url: URL;
    try {
      url = new URL(text.trim());
    } catch {
      ctx.addIssue({ code: "custom", message: `must be an absolute ${what} URL` });
      return z.NEVER;
    }
    if (!protocols.includes(url.protocol)) {
      ctx.addIssue({ code: "custom", message: `must be a ${what} URL (${protocols.join(" or ")})` });
      return z.NEVER;
    }
    return url.toString();
  });
}

const publicUrl = z.string().transform((text, ctx) => {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    ctx.addIssue({ code: "custom", message: "must be an absolute http(s) URL such as https://auth.example.com" });
    return z.NEVER;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    ctx.addIssue({ code: "custom", message: "must be an http(s) URL" });
    return z.NEVER;
  }
  if (url.search || url.hash || url.username || url.password) {
    ctx.addIssue({ code: "custom", message: "must not carry credentials, a query or a fragment" });
    return z.NEVER;
  }
  // Issuers are `${PUBLIC_URL}/t/{tenant}` with no trailing slash (API.md).
  return url.toString().replace(/\/+$/, "");
});

/** A secret of at least `min` characters; the message never repeats it. */
const secret = (min: number) => z.string().refine((s) => s.length >= min, `must be at least ${min} characters long`);

/**
 * `ENCRYPTION_KEYS`: comma-separated `id:base64key` pairs, each key 32 bytes.
 * The first is the current key (seals new data); the others only unseal,
 * which is what makes re-encryption after a key change possible.
 */
const encryptionKeys = z.string().transform((text, ctx) => {
  const keys: EncryptionKey[] = [];
  const entries = text.split(",").map((entry) => entry.trim());
  for (const [index, entry] of entries.entries()) {
    const separator = entry.indexOf(":");
    const id = separator > 0 ? entry.slice(0, separator) : "";
    const key = separator > 0 ? fromBase64Url(entry.slice(separator + 1)) : undefined;
    if (!/^[A-Za-z0-9_-]{1,32}$/.test(id) || !key || key.length !== 32) {
      ctx.addIssue({
        code: "custom",
        message: `entry ${index + 1} must be "id:<base64 of 32 bytes>" (id: letters, digits, _ or -)`,
      });
      return z.NEVER;
    }
    if (keys.some((k) => k.id === id)) {
      ctx.addIssue({ code: "custom", message: `entry ${index + 1} repeats the key id of an earlier entry` });
      return z.NEVER;
    }
    keys.push({ id, key });
  }
  return keys;
});

/**
 * `MAIL_FROM`: the sender, `address` or `Name <address>`. A line break would
 * end the From header (RFC 5322 §2.2) and let the value add headers.
 */
const mailFrom = z.string().transform((text, ctx) => {
  const value = text.trim();
  const match = /^(?:[^<>\r\n]*<([^<>\s]+)>|([^<>\s]+))$/.exec(value);
  const address = match?.[1] ?? match?.[2];
  if (/[\r\n]/.test(text) || !address || !/^[^@\s]+@[^@\s]+$/.test(address)) {
    ctx.addIssue({ code: "custom", message: 'must be "address@domain" or "Name <address@domain>" on one line' });
    return z.NEVER;
  }
  return value;
});

const optional = <T extends z.ZodType>(schema: T) => schema.optional();

/**
 * `OTEL_EXPORTER_OTLP_HEADERS`: `name=value` pairs separated by commas, values
 * percent-encoded (OpenTelemetry SDK environment variables, after the W3C
 * Baggage format), e.g. a collector's `authorization=Bearer%20...`.
 */
const otlpHeaders = z.string().transform((text, ctx) => {
  const headers: Record<string, string> = {};
  const entries = text
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  for (const [index, entry] of entries.entries()) {
    const separator = entry.indexOf("=");
    const name = separator > 0 ? entry.slice(0, separator).trim() : "";
    let value: string | undefined;
    try {
      value = separator > 0 ? decodeURIComponent(entry.slice(separator + 1).trim()) : undefined;
    } catch {
      value = undefined;
    }
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name) || value === undefined) {
      ctx.addIssue({ code: "custom", message: `entry ${index + 1} must be "name=value" (value percent-encoded)` });
      return z.NEVER;
    }
    headers[name.toLowerCase()] = value;
  }
  return headers;
});

/** Comma-separated addresses or CIDRs of the proxies in front of the Node server. */
const cidrList = z.string().transform((text, ctx) => {
  const list: Cidr[] = [];
  const items = text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  for (const [index, item] of items.entries()) {
    const cidr = parseCidr(item);
    if (!cidr) {
      ctx.addIssue({ code: "custom", message: `entry ${index + 1} is not an IP address or CIDR` });
      return z.NEVER;
    }
    list.push(cidr);
  }
  return list;
});

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
  NEON_FETCH_ENDPOINT: optional(urlWithProtocols(["http:", "https:"], "http(s)")),
  REDIS_URL: optional(urlWithProtocols(["redis:", "rediss:"], "redis")),
  /** Node: REDIS_URL names one node of a Redis Cluster; the client learns the others from it. */
  REDIS_CLUSTER: boolean(false),
  // A brace would start a hash tag in every key and put them all in one Cluster slot.
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[^{}]*$/, "must not contain { or } (they would make every key one Redis Cluster hash tag)")
    .default("auth:"),
  UPSTASH_REDIS_REST_URL: optional(urlWithProtocols(["http:", "https:"], "http(s)")),
  UPSTASH_REDIS_REST_TOKEN: optional(secret(1)),
  BOOTSTRAP_ADMIN_KEY: secret(32),
  ENCRYPTION_KEYS: encryptionKeys,
  MAX_BODY_BYTES: integer(64 * 1024, 1_024, 16 * 1024 * 1024),
  READINESS_TIMEOUT: duration("2s", DURATION_MAX.READINESS_TIMEOUT),
  JWKS_MAX_AGE: duration("5m", DURATION_MAX.JWKS_MAX_AGE),
  SIGNING_KEY_ROTATION_INTERVAL: duration("30d", DURATION_MAX.SIGNING_KEY_ROTATION_INTERVAL),
  SIGNING_KEY_CACHE_TTL: duration("30s", DURATION_MAX.SIGNING_KEY_CACHE_TTL),
  KEY_ROTATION_CHECK_INTERVAL: duration("1h", DURATION_MAX.KEY_ROTATION_CHECK_INTERVAL),
  REFRESH_GRACE_PERIOD: duration("10s", DURATION_MAX.REFRESH_GRACE_PERIOD),
  API_KEY_CACHE_TTL: duration("60s", DURATION_MAX.API_KEY_CACHE_TTL),
  SHUTDOWN_TIMEOUT: duration("10s", DURATION_MAX.SHUTDOWN_TIMEOUT),
  SHUTDOWN_DRAIN_DELAY: duration("5s", DURATION_MAX.SHUTDOWN_DRAIN_DELAY, true),
  /** Node: a client must send a request's headers within this (slowloris); else 408 and the connection closes. */
  HTTP_HEADERS_TIMEOUT: duration(HEADERS_TIMEOUT, DURATION_MAX.HTTP_HEADERS_TIMEOUT),
  /** Node: a client must send a whole request, body included, within this; at least HTTP_HEADERS_TIMEOUT. */
  HTTP_REQUEST_TIMEOUT: duration(REQUEST_TIMEOUT, DURATION_MAX.HTTP_REQUEST_TIMEOUT),
  /** Node: how long an idle keep-alive connection stays open; above the load balancer's idle timeout (60 s on ingress-nginx, AWS ALB). */
  HTTP_KEEP_ALIVE_TIMEOUT: duration("65s", DURATION_MAX.HTTP_KEEP_ALIVE_TIMEOUT),
  /** Node: connections one process holds at once; more are closed on arrival, before they reach the file-descriptor limit. */
  MAX_CONNECTIONS: integer(10_000, 1, 1_000_000),
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
