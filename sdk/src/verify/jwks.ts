/**
 * The issuer's JWKS, fetched once and kept in memory: keys are only ever
 * taken from here, by `kid` (never from `jku`, `x5u` or `jwk` in a token,
 * RFC 8725 §3.10). Freshness follows the endpoint's Cache-Control (bounded),
 * revalidated with its ETag (RFC 9110 §13.1.2). Once stale, the keys keep
 * being served while one refresh runs behind (stale-while-revalidate, RFC
 * 5861 §3), and while the endpoint is down, up to `maxStaleSeconds`. An
 * unknown `kid` causes one refetch shared by every verification waiting on
 * it (single flight), at most once per cooldown.
 */
import { detectEdgeCache, readStored, type StoredJwks, store } from "./edge-cache.js";
import { freshnessMs } from "./freshness.js";
import { type UsableJwk, usableJwk } from "./jwk.js";
import type { SignatureBackend, VerificationKey } from "./signature-types.js";
import type { Algorithm, EdgeCache, FetchLike, WaitUntil } from "./types.js";

export interface JwksKey {
  kid: string;
  alg: Algorithm;
  key: VerificationKey;
  fingerprint: string;
}

export type KeyLookup = JwksKey | "unknown" | "unavailable";

export interface JwksCacheOptions {
  url: string;
  fetch: FetchLike;
  now: () => number;
  backend: SignatureBackend;
  algorithms: ReadonlySet<Algorithm>;
  edgeCache: EdgeCache | false | undefined;
  minTtlSeconds: number;
  maxTtlSeconds: number;
  cooldownSeconds: number;
  maxStaleSeconds: number;
  timeoutMs: number;
}

/** A JWKS larger than this is refused: the authority's holds three or four keys (a few KB). */
const MAX_JWKS_BYTES = 512 * 1024;
/** Before the first keys arrived, a failed fetch is retried at most this often. */
const LOAD_RETRY_MS = 1_000;

export class JwksCache {
  private keys = new Map<string, JwksKey>();
  private loaded = false;
  private text = "";
  private etag: string | null = null;
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private freshUntil = Number.NEGATIVE_INFINITY;
  /** Start of the latest origin fetch (or another isolate's, seen in the edge cache): the cooldown runs from it. */
  private lastAttemptAt = Number.NEGATIVE_INFINITY;
  private lastFailureAt = Number.NEGATIVE_INFINITY;
  private refreshing: Promise<boolean> | null = null;
  private readonly edge: EdgeCache | null;
  /** Origin requests made, for tests and metrics. */
  fetches = 0;

  constructor(private readonly o: JwksCacheOptions) {
    this.edge = o.edgeCache === false ? null : (o.edgeCache ?? detectEdgeCache());
  }

  /** The key for `kid` when the keys are fresh, without a promise: the hot path. */
  fresh(kid: string): JwksKey | undefined {
    return this.o.now() < this.freshUntil ? this.keys.get(kid) : undefined;
  }

  async key(kid: string, waitUntil?: WaitUntil): Promise<KeyLookup> {
    if (!this.usable()) {
      if (this.o.now() - this.lastFailureAt < LOAD_RETRY_MS && !this.refreshing) return "unavailable";
      await this.refresh();
      if (!this.usable()) return "unavailable";
    }
    const now = this.o.now();
    // Stale: serve from memory and refresh behind; after a failed refresh, wait a cooldown before the next.
    if (now >= this.freshUntil && !this.refreshing && now - this.lastFailureAt >= this.cooldownMs) {
      const background = this.refresh();
      waitUntil?.(background);
    }
    const found = this.keys.get(kid);
    if (found) return found;
    // Unknown kid: wait for a refresh already running, or start one unless the cooldown forbids it.
    if (this.refreshing) {
      await this.refreshing;
    } else if (this.o.now() - this.lastAttemptAt >= this.cooldownMs) {
      await this.refresh(kid);
    }
    return this.keys.get(kid) ?? "unknown";
  }

  private get cooldownMs(): number {
    return this.o.cooldownSeconds * 1000;
  }

  /** Keys in memory, not older than the stale bound. */
  private usable(): boolean {
    return this.loaded && this.o.now() <= this.fetchedAt + this.o.maxStaleSeconds * 1000;
  }

  /** One refresh at a time; every caller meanwhile shares it. Resolves false when it failed. */
  private refresh(kid?: string): Promise<boolean> {
    if (this.refreshing) return this.refreshing;
    const running = this.doRefresh(kid)
      .then(() => true)
      .catch(() => {
        this.lastFailureAt = this.o.now();
        return false;
      })
      .finally(() => {
        this.refreshing = null;
      });
    this.refreshing = running;
    return running;
  }

  private async doRefresh(kid: string | undefined): Promise<void> {
    const loading = !this.usable();
    if (this.edge) {
      const stored = await readStored(this.edge, this.o.url).catch(() => null);
      const now = this.o.now();
      if (stored && stored.fetchedAt > this.fetchedAt && now <= stored.fetchedAt + this.o.maxStaleSeconds * 1000) {
        await this.install(stored);
        // Another isolate's fetch counts for the cooldown as if it were ours.
        this.lastAttemptAt = Math.max(this.lastAttemptAt, stored.fetchedAt);
        // A first load takes even a stale copy at once; key() then revalidates it in the background.
        if (loading) return;
        if (
          kid === undefined ? now < this.freshUntil : this.keys.has(kid) || now - this.lastAttemptAt < this.cooldownMs
        ) {
          return;
        }
      }
    }
    await this.fromOrigin();
  }

  private async fromOrigin(): Promise<void> {
    this.lastAttemptAt = this.o.now();
    this.fetches++;
    const headers: Record<string, string> = { Accept: "application/json" };
    if (this.loaded && this.etag) headers["If-None-Match"] = this.etag;
    const response = await this.o.fetch(this.o.url, { headers, signal: AbortSignal.timeout(this.o.timeoutMs) });
    const now = this.o.now();
    const ttl = freshnessMs(response.headers, this.o.minTtlSeconds, this.o.maxTtlSeconds);
    if (response.status === 304 && this.loaded) {
      await response.body?.cancel();
      await this.install({
        text: this.text,
        etag: response.headers.get("etag") ?? this.etag,
        fetchedAt: now,
        freshUntil: now + ttl,
      });
    } else if (response.status === 200) {
      const text = await response.text();
      if (text.length > MAX_JWKS_BYTES) throw new Error("the JWKS is too large");
      await this.install({ text, etag: response.headers.get("etag"), fetchedAt: now, freshUntil: now + ttl });
    } else {
      await response.body?.cancel();
      throw new Error(`the JWKS endpoint answered ${response.status}`);
    }
    if (this.edge) {
      await store(
        this.edge,
        this.o.url,
        { text: this.text, etag: this.etag, fetchedAt: this.fetchedAt, freshUntil: this.freshUntil },
        this.o.maxStaleSeconds,
      ).catch(() => undefined);
    }
  }

  /** Replaces the keys with those of `stored`, reusing imported keys whose material did not change. */
  private async install(stored: StoredJwks): Promise<void> {
    if (stored.text !== this.text || !this.loaded) {
      const parsed = JSON.parse(stored.text) as { keys?: unknown };
      if (typeof parsed !== "object" || parsed === null || !Array.isArray(parsed.keys)) {
        throw new Error("the JWKS has no keys array");
      }
      const usable = parsed.keys.map((entry) => usableJwk(entry, this.o.algorithms)).filter((k) => k !== null);
      const counts = new Map<string, number>();
      for (const k of usable) counts.set(k.kid, (counts.get(k.kid) ?? 0) + 1);
      // A kid named twice is ambiguous (RFC 7517 §4.5): neither copy is used.
      const unique = usable.filter((k) => counts.get(k.kid) === 1);
      const imported = await Promise.all(unique.map((k) => this.imported(k)));
      this.keys = new Map(imported.filter((k) => k !== null).map((k) => [k.kid, k]));
      this.text = stored.text;
      this.loaded = true;
    }
    this.etag = stored.etag;
    this.fetchedAt = stored.fetchedAt;
    this.freshUntil = stored.freshUntil;
  }

  private async imported(k: UsableJwk): Promise<JwksKey | null> {
    const existing = this.keys.get(k.kid);
    if (existing && existing.fingerprint === k.fingerprint) return existing;
    try {
      return { kid: k.kid, alg: k.alg, key: await this.o.backend.importKey(k.jwk, k.alg), fingerprint: k.fingerprint };
    } catch {
      return null; // a key this runtime refuses verifies nothing; the others still work
    }
  }
}
