import type { LogFields } from "../ports/logger.js";

/**
 * Redaction by construction: every logger adapter passes its fields through
 * `redactFields` before writing, so a secret handed to a logger by mistake
 * is still not written. Two nets: field names that only ever hold secrets,
 * and value shapes of this service's credentials wherever they appear in a
 * string (a provider's error message quoting a token, say). Every string is
 * also cut to MAX_LOGGED_STRING, without any query parameters it carries.
 */

export const REDACTED = "[redacted]";

/** Field names (lowercase, without `_`/`-`) whose values are secrets. */
const SECRET_NAMES = new Set([
  "password",
  "newpassword",
  "passwd",
  "secret",
  "clientsecret",
  "token",
  "accesstoken",
  "refreshtoken",
  "idtoken",
  "authorization",
  "proxyauthorization",
  "cookie",
  "setcookie",
  "apikey",
  "key",
  "privatekey",
  "codeverifier",
  "code",
  "samlresponse",
  "samlrequest",
  "assertion",
  "encryptionkeys",
  "bootstrapadminkey",
]);

const SECRET_SUFFIXES = ["password", "secret", "token"];

/** Field names come from the code, a few dozen of them: each is judged once (bounded, should one come from input). */
const judgedNames = new Map<string, boolean>();
const MAX_JUDGED_NAMES = 1_000;

function isSecretName(name: string): boolean {
  let secret = judgedNames.get(name);
  if (secret === undefined) {
    const normal = name.toLowerCase().replace(/[_-]/g, "");
    secret = SECRET_NAMES.has(normal) || SECRET_SUFFIXES.some((suffix) => normal.endsWith(suffix));
    if (judgedNames.size < MAX_JUDGED_NAMES) judgedNames.set(name, secret);
  }
  return secret;
}

/** Credential shapes this service issues or receives, found inside any string. */
const SECRET_SHAPES: RegExp[] = [
  // JWS compact serialisation (access tokens, ID tokens): base64url header starting `{"`.
  /eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*/g,
  // Refresh tokens (rt1.{payload}.{tag}) and API keys (sk_ + base62 + checksum).
  /\brt1\.[A-Za-z0-9_.:-]{16,}/g,
  /\bsk_[A-Za-z0-9]{20,}/g,
  // Credentials in header syntax.
  /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi,
  // Refresh cookies, `__Host-refresh-{tenant}` (and the older `__Host-refresh`).
  /__Host-refresh(?:-[a-z0-9-]+)?=[^;\s,]+/g,
];

/**
 * A literal every shape above starts with: one scan rules out most strings
 * (ids, routes, names) before the five replacements would each scan them.
 */
const SHAPE_MARKERS = /eyJ|rt1\.|sk_|bearer|basic|__Host-refresh/i;

export function redactString(text: string): string {
  if (!SHAPE_MARKERS.test(text)) return text;
  let out = text;
  for (const shape of SECRET_SHAPES) out = out.replace(shape, REDACTED);
  return out;
}

/**
 * drizzle's query errors end their message with every bound value
 * (`Failed query: …\nparams: …`): sealed secrets, key hashes, whole
 * documents. Only the query itself may be written.
 */
export function withoutQueryParams(text: string): string {
  const at = text.indexOf("\nparams: ");
  return at === -1 ? text : text.slice(0, at);
}

/** Longest string a log line holds; longer ones are cut (a request can put 64 KiB in an error message). */
const MAX_LOGGED_STRING = 2048;

export function capText(text: string, max = MAX_LOGGED_STRING): string {
  return text.length <= max ? text : `${text.slice(0, max)}…[${text.length - max} more]`;
}

/** A string as a log line may hold it: without query parameters, credential shapes cut out, capped. */
export const loggable = (text: string) => capText(redactString(withoutQueryParams(text)));

const MAX_DEPTH = 6;

/**
 * A driver error's `code` (see error-fields.ts: under `cause`) that is a
 * system error (ECONNRESET) or a SQLSTATE (57014): logged, since it says what
 * failed. `code` stays a secret name everywhere else (an authorization code).
 */
const ERROR_CODE = /^(E[A-Z]+|[0-9A-Z]{5})$/;

const passes = (parent: string | undefined, name: string, value: unknown) =>
  parent === "cause" && name === "code" && typeof value === "string" && ERROR_CODE.test(value);

function redactValue(value: unknown, depth: number, parent?: string): unknown {
  if (typeof value === "string") return loggable(value);
  // JSON has no BigInt (JSON.stringify would throw in the middle of a request).
  if (typeof value === "bigint") return value.toString();
  if (value === null || typeof value !== "object") return value;
  if (depth >= MAX_DEPTH) return "[truncated]";
  if (value instanceof Error) {
    return { name: value.name, message: loggable(value.message) };
  }
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((item) => redactValue(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [name, inner] of Object.entries(value)) {
    const secret = isSecretName(name) && inner !== undefined && inner !== null && !passes(parent, name, inner);
    out[name] = secret ? REDACTED : redactValue(inner, depth + 1, name);
  }
  return out;
}

/** The fields of a log line with secrets replaced; the input is not changed. */
export function redactFields(fields: LogFields | undefined): LogFields {
  return fields ? (redactValue(fields, 0) as LogFields) : {};
}
