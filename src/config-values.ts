import { z } from "zod";
import { fromBase64Url } from "./core/crypto/encoding.js";
import type { EncryptionKey } from "./core/crypto/sealing.js";
import { type Cidr, parseCidr } from "./core/net/ip.js";

/**
 * The kinds of value a setting holds (durations, bounded integers, URLs,
 * secrets, key lists), each read and checked one way for every setting of
 * src/config.ts. Messages never echo a received value: some are secrets.
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
  DATABASE_STATEMENT_TIMEOUT: "1m",
  REDIS_COMMAND_TIMEOUT: "1m",
  PASSWORD_HASH_MAX_WAIT: "1m",
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

/**
 * The shortest some durations may be (docs/configuration.md states them):
 * those that a few milliseconds would break, not merely slow.
 * - REFRESH_GRACE_PERIOD: a refresh waits half of it for its ledger write, and
 *   a client's retry after a lost answer must still fall inside it.
 * - API_KEY_CACHE_TTL: revocation and owner changes evict at once (markers
 *   that live this long), so less buys nothing but a database read per use.
 * - SIGNING_KEY_ROTATION_INTERVAL: each rotation leaves a retired key published
 *   for a token lifetime (at most 24 h) plus cache and skew, and the JWKS holds
 *   MAX_RETIRED_PUBLISHED of them (src/core/signing/key-ring.ts); scheduled
 *   rotations a day apart keep within it. (Rotation also waits for the next
 *   key to be published for JWKS_MAX_AGE, whatever this says.)
 * - KEY_ROTATION_CHECK_INTERVAL: each check reads every tenant's ring, for
 *   rotations due on a scale of days.
 */
export const DURATION_MIN = {
  REFRESH_GRACE_PERIOD: "1s",
  API_KEY_CACHE_TTL: "1s",
  SIGNING_KEY_ROTATION_INTERVAL: "1d",
  KEY_ROTATION_CHECK_INTERVAL: "1m",
} as const;

/** A duration setting in milliseconds, from `min` (default 1 ms, or 0 when allowed) to `max`. */
export const duration = (
  fallback: string,
  max: string,
  { min, allowZero = false }: { min?: string; allowZero?: boolean } = {},
) => {
  const maxMs = parseDuration(max) ?? 0;
  const minMs = min === undefined ? 0 : (parseDuration(min) ?? 0);
  return z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      const ms = parseDuration(text, allowZero);
      if (ms === undefined) {
        const kind = allowZero ? "a duration" : "a positive duration";
        const range = min === undefined ? `at most ${max}` : `from ${min} to ${max}`;
        ctx.addIssue({ code: "custom", message: `must be ${kind} such as "${fallback}", ${range}` });
        return z.NEVER;
      }
      if (ms > maxMs) {
        ctx.addIssue({ code: "custom", message: `must be at most ${max}` });
        return z.NEVER;
      }
      if (ms < minMs) {
        ctx.addIssue({ code: "custom", message: `must be at least ${min}` });
        return z.NEVER;
      }
      return ms;
    });
};

function wholeNumber(text: string, min: number, max: number, ctx: z.RefinementCtx): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || value < min || value > max) {
    ctx.addIssue({ code: "custom", message: `must be a whole number from ${min} to ${max}` });
    return z.NEVER;
  }
  return value;
}

export const integer = (fallback: number, min: number, max: number) =>
  z
    .string()
    .default(String(fallback))
    .transform((text, ctx) => wholeNumber(text, min, max, ctx));

/** A whole number, or undefined when unset: the runtime then picks (its default depends on the machine). */
export const optionalInteger = (min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((text, ctx) => (text === undefined ? undefined : wholeNumber(text, min, max, ctx)));

export const boolean = (fallback: boolean) =>
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

export function urlWithProtocols(protocols: string[], what: string) {
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

export const publicUrl = z.string().transform((text, ctx) => {
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
export const secret = (min: number) =>
  z.string().refine((s) => s.length >= min, `must be at least ${min} characters long`);

/**
 * `ENCRYPTION_KEYS`: comma-separated `id:base64key` pairs, each key 32 bytes.
 * The first is the current key (seals new data); the others only unseal,
 * which is what makes re-encryption after a key change possible.
 */
export const encryptionKeys = z.string().transform((text, ctx) => {
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
export const mailFrom = z.string().transform((text, ctx) => {
  const value = text.trim();
  const match = /^(?:[^<>\r\n]*<([^<>\s]+)>|([^<>\s]+))$/.exec(value);
  const address = match?.[1] ?? match?.[2];
  if (/[\r\n]/.test(text) || !address || !/^[^@\s]+@[^@\s]+$/.test(address)) {
    ctx.addIssue({ code: "custom", message: 'must be "address@domain" or "Name <address@domain>" on one line' });
    return z.NEVER;
  }
  return value;
});

export const optional = <T extends z.ZodType>(schema: T) => schema.optional();

/**
 * `OTEL_EXPORTER_OTLP_HEADERS`: `name=value` pairs separated by commas, values
 * percent-encoded (OpenTelemetry SDK environment variables, after the W3C
 * Baggage format), e.g. a collector's `authorization=Bearer%20...`.
 */
export const otlpHeaders = z.string().transform((text, ctx) => {
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
export const cidrList = z.string().transform((text, ctx) => {
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
