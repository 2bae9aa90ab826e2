/**
 * `createApiKeyVerifier`: checks API keys presented to this service at the
 * authority (`POST {issuer}/v1/api-keys/verify`, with this service's own key
 * holding scope `api_keys:verify`). Malformed keys and bad checksums are
 * refused locally, without a request. Valid keys are cached for a bounded
 * time (default 60 s, at most 5 minutes, never past the key's expiry), by
 * the SHA-256 of the key so that no presented secret is held in memory as a
 * map key; invalid verdicts are never cached (a key created a moment later
 * must work), and the cache is bounded in size. Revoking a key at the
 * authority therefore reaches this service within `cacheTtlMs`.
 *
 * Fail-closed: an unreachable authority is `temporarily_unavailable` (the
 * middleware answers 503), never a pass. An authority that refuses this
 * service's own key (401, 403) is a `configuration_error` (500), logged once.
 */
import { BoundedCache } from "../util/bounded-cache.js";
import { CredentialAlarm, isCredentialRefusal } from "../util/credential-alarm.js";
import { bounded, checkedUrl, defaultFetch, postWithBearer, underIssuer } from "../util/http.js";
import type { ErrorLogger, FetchLike, VerificationError } from "../verify/types.js";
import { apiKeyFormat } from "./format.js";

export interface ApiKeyVerifierOptions {
  /** The tenant issuer, `{PUBLIC_URL}/t/{tenant}`. */
  issuer: string;
  /** This service's own API key, with scope `api_keys:verify`. */
  apiKey: string;
  /** Default: `{issuer}/v1/api-keys/verify`. */
  url?: string;
  fetch?: FetchLike;
  /** How long a valid key is reused (ms; default 60000, at most 300000). */
  cacheTtlMs?: number;
  /** Most keys kept (default 10000). */
  maxEntries?: number;
  timeoutMs?: number;
  now?: () => number;
  allowInsecureHttp?: boolean;
  /** Receives the one message when the authority refuses `apiKey` (default `console`). */
  logger?: ErrorLogger;
}

export interface VerifiedApiKey {
  keyId: string;
  /** The owner; null for a service key of the tenant (it acts for no user). */
  userId: string | null;
  tenantId: string;
  scopes: string[];
  expiresAt: Date | null;
}

export type ApiKeyFailureReason = "malformed" | "checksum" | "invalid" | "unavailable" | "introspection_unauthorized";

export type ApiKeyResult =
  | { ok: true; key: VerifiedApiKey }
  | { ok: false; error: VerificationError; reason: ApiKeyFailureReason; description: string };

export interface ApiKeyVerifier {
  readonly issuer: string;
  verify(presentedKey: string): Promise<ApiKeyResult>;
  /** Requests made to the authority. */
  stats(): { requests: number };
}

type Lookup = { valid: VerifiedApiKey } | { invalid: true } | { unavailable: string } | { unauthorized: true };

const MAX_EXPIRY_MS = 8_640_000_000_000_000;

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

function parseVerified(body: unknown): VerifiedApiKey | "invalid" | null {
  if (typeof body !== "object" || body === null) return null;
  const b = body as Record<string, unknown>;
  if (b.valid === false) return "invalid";
  if (b.valid !== true) return null;
  const expiresAt = b.expires_at === null || b.expires_at === undefined ? null : new Date(String(b.expires_at));
  if (
    typeof b.key_id !== "string" ||
    (typeof b.user_id !== "string" && b.user_id !== null) ||
    typeof b.tenant_id !== "string" ||
    !Array.isArray(b.scopes) ||
    !b.scopes.every((s) => typeof s === "string") ||
    (expiresAt !== null && Number.isNaN(expiresAt.getTime()))
  ) {
    return null;
  }
  return { keyId: b.key_id, userId: b.user_id, tenantId: b.tenant_id, scopes: [...b.scopes], expiresAt };
}

export function createApiKeyVerifier(options: ApiKeyVerifierOptions): ApiKeyVerifier {
  if (typeof options.issuer !== "string" || options.issuer.length === 0) throw new TypeError("issuer is required");
  if (typeof options.apiKey !== "string" || options.apiKey.length === 0) throw new TypeError("apiKey is required");
  const url = checkedUrl(
    options.url ?? underIssuer(options.issuer, "/v1/api-keys/verify"),
    "url",
    options.allowInsecureHttp,
  );
  const fetchImpl = options.fetch ?? defaultFetch;
  const now = options.now ?? Date.now;
  const ttlMs = bounded(options.cacheTtlMs, 60_000, 0, 300_000, "cacheTtlMs");
  const timeoutMs = bounded(options.timeoutMs, 5_000, 1, 60_000, "timeoutMs");
  const cache = new BoundedCache<Lookup>(bounded(options.maxEntries, 10_000, 0, 1_000_000, "maxEntries"), now);
  const alarm = new CredentialAlarm(options.logger ?? console, "apiKey", "api_keys:verify");
  let requests = 0;

  async function lookup(presented: string): Promise<Lookup> {
    requests++;
    try {
      const answer = await postWithBearer(fetchImpl, url, options.apiKey, { json: { key: presented } }, timeoutMs);
      if (isCredentialRefusal(answer.status)) {
        alarm.refused(answer.status, url);
        return { unauthorized: true };
      }
      if (answer.status !== 200) return { unavailable: `The authority answered ${answer.status}.` };
      const verified = parseVerified(answer.body);
      if (verified === null) return { unavailable: "The authority's answer was not understood." };
      alarm.accepted();
      return verified === "invalid" ? { invalid: true } : { valid: verified };
    } catch {
      return { unavailable: "The authority could not be reached." };
    }
  }

  return {
    issuer: options.issuer,
    stats: () => ({ requests }),
    async verify(presentedKey: string): Promise<ApiKeyResult> {
      const format = apiKeyFormat(presentedKey);
      if (format === "malformed") {
        return { ok: false, error: "invalid_token", reason: "malformed", description: "The API key is malformed." };
      }
      if (format === "checksum") {
        return {
          ok: false,
          error: "invalid_token",
          reason: "checksum",
          description: "The API key's checksum is wrong.",
        };
      }
      const id = await sha256Hex(presentedKey);
      const found = await cache.getOrLoad(id, async () => {
        const result = await lookup(presentedKey);
        if ("valid" in result) {
          const expiry = result.valid.expiresAt?.getTime() ?? MAX_EXPIRY_MS;
          cache.set(id, result, Math.min(now() + ttlMs, expiry));
        }
        return result;
      });
      if ("valid" in found) {
        // A cached key past its own expiry is not served (the cache entry ends then anyway).
        if (found.valid.expiresAt && found.valid.expiresAt.getTime() <= now()) {
          return { ok: false, error: "invalid_token", reason: "invalid", description: "The API key has expired." };
        }
        return { ok: true, key: { ...found.valid, scopes: [...found.valid.scopes] } };
      }
      if ("invalid" in found) {
        return { ok: false, error: "invalid_token", reason: "invalid", description: "The API key is not valid." };
      }
      if ("unauthorized" in found) {
        return {
          ok: false,
          error: "configuration_error",
          reason: "introspection_unauthorized",
          description: "The authority refused this service's credential for checking API keys.",
        };
      }
      return { ok: false, error: "temporarily_unavailable", reason: "unavailable", description: found.unavailable };
    },
  };
}
