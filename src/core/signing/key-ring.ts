import type { Sealer } from "../crypto/sealing.js";
import { errors } from "../errors.js";
import type { Clock, Random } from "../ports/clock.js";
import type { Database, ListingPosition, SigningAlgorithm, SigningKeyRecord, Tenant } from "../ports/database.js";
import type { Logger } from "../ports/logger.js";
import type { Metrics } from "../ports/telemetry.js";
import { ACCESS_TOKEN_TTL_RANGE, settingsOf } from "../tenant-settings.js";
import { signCompactJws } from "./jws.js";
import { generateSigningKey, importPrivateKey, importPublicKey } from "./keys.js";

export interface KeyRingOptions {
  /** How long a process reuses a tenant's ring before reading it again. */
  cacheMs: number;
  /** The JWKS Cache-Control max-age: a next key is published at least this long before it signs. */
  jwksMaxAgeMs: number;
  /** The scheduled job rotates once the active key has signed this long. */
  rotationIntervalMs: number;
  /** Clock skew verifiers allow; retired keys stay published that much longer. */
  clockSkewMs: number;
}

/** Clients read at a time when a rotation weighs their token lifetimes. */
const CLIENT_PAGE = 500;

/** Who asked for a rotation (the `trigger` label of signing_key_rotations_total). */
export type RotationTrigger = "admin" | "scheduled";

/**
 * Retired keys published (JWKS) and accepted for verification at most; older
 * ones go even before their tokens expire, so a ring cannot grow without
 * bound. Each rotation keeps one retired key alive for a token lifetime (at
 * most 24 h) plus the ring cache and clock skew; the admin route allows a
 * burst of 10 rotations, then one per 2.4 h (SIGNING_KEY_ROTATION_LIMIT), so
 * at most 21 admin rotations fall in one such span, plus two scheduled
 * ones (SIGNING_KEY_ROTATION_INTERVAL is at least a day): every key whose
 * tokens are alive stays inside.
 */
export const MAX_RETIRED_PUBLISHED = 24;

/** An unknown `kid` makes the ring be read again at most this often per tenant. */
const UNKNOWN_KID_COOLDOWN_MS = 5_000;

interface CachedRing {
  keys: SigningKeyRecord[];
  loadedAt: number;
  signer?: Promise<Signer>;
  verifiers: Map<string, Promise<CryptoKey>>;
}

export interface Signer {
  kid: string;
  alg: SigningAlgorithm;
  /** The JWS Compact Serialization of these claims under the active key (`alg` and `kid` in the header). */
  sign(header: Record<string, unknown>, payload: Record<string, unknown>): Promise<string>;
  /** The active key's JWS signature of any input (tests assemble tokens with it). */
  signature(input: Uint8Array): Promise<Uint8Array>;
}

/** The key rings a process has read, shared by the ring services of its requests. */
export type KeyRingCache = Map<string, CachedRing>;

/**
 * A tenant's signing keys: next -> active -> retired. The next key is
 * published (JWKS) from its creation; rotation makes it active; the active
 * one retires and stays published until every token it signed has expired.
 */
export class KeyRingService {
  constructor(
    private readonly db: Database,
    private readonly deps: { sealer: Sealer; random: Random; clock: Clock; logger: Logger; metrics: Metrics },
    private readonly options: KeyRingOptions,
    /** The rings read so far, by tenant: one per process, whichever request's ring service reads them. */
    private readonly rings: KeyRingCache = new Map(),
  ) {}

  private now(): number {
    return this.deps.clock.now().getTime();
  }

  /** The tenant's cached ring while younger than the cache time. */
  private freshRing(tenantId: string): CachedRing | undefined {
    const cached = this.rings.get(tenantId);
    return cached && this.now() - cached.loadedAt < this.options.cacheMs ? cached : undefined;
  }

  /** The published keys (next, active, retired still valid, at most MAX_RETIRED_PUBLISHED of them), creating a first ring when there is none. */
  async published(tenant: Tenant, fresh = false): Promise<SigningKeyRecord[]> {
    const cached = fresh ? undefined : this.freshRing(tenant.id);
    if (cached) return cached.keys;
    let keys = await this.db.signingKeys.listPublished(tenant.id, this.deps.clock.now(), MAX_RETIRED_PUBLISHED);
    if (!keys.some((k) => k.state === "active")) keys = await this.createRing(tenant, keys);
    this.rings.set(tenant.id, {
      keys,
      loadedAt: this.now(),
      verifiers: this.rings.get(tenant.id)?.verifiers ?? new Map(),
    });
    return keys;
  }

  private async createRing(tenant: Tenant, keys: SigningKeyRecord[]): Promise<SigningKeyRecord[]> {
    const next = keys.find((k) => k.state === "next");
    const alg = settingsOf(tenant).signingAlg;
    if (next) {
      // A ring with a next key but no active one: promote it.
      await this.rotateFrom(tenant, null, next.id);
    } else {
      const [active, fresh] = await Promise.all([
        generateSigningKey(tenant.id, alg, this.deps),
        generateSigningKey(tenant.id, alg, this.deps),
      ]);
      if (await this.db.signingKeys.createRing(active, fresh, this.deps.clock.now())) {
        this.deps.logger.info("signing_keys_created", { tenant_id: tenant.id, active_kid: active.kid, alg });
      }
    }
    return this.db.signingKeys.listPublished(tenant.id, this.deps.clock.now(), MAX_RETIRED_PUBLISHED);
  }

  /** The active key, for signing. */
  signer(tenant: Tenant): Promise<Signer> {
    // Every token issued asks: a fresh ring answers with its signer, no async frames of its own.
    return this.freshRing(tenant.id)?.signer ?? this.loadSigner(tenant);
  }

  private async loadSigner(tenant: Tenant): Promise<Signer> {
    const keys = await this.published(tenant);
    const ring = this.rings.get(tenant.id) as CachedRing;
    ring.signer ??= (async () => {
      const active = keys.find((k) => k.state === "active");
      if (!active) throw new Error(`Tenant ${tenant.id} has no active signing key.`);
      const key = await importPrivateKey(active, this.deps.sealer);
      const { primitives } = this.deps.sealer;
      return {
        kid: active.kid,
        alg: active.alg,
        // Object.assign, not a spread (see signCompactJws).
        sign: (header, payload) =>
          signCompactJws(primitives, key, Object.assign({}, header, { kid: active.kid }), payload),
        signature: (input) => primitives.jwsSignature(key, input),
      };
    })();
    return ring.signer;
  }

  /**
   * The published key with this `kid`, for verification; null when the tenant
   * has none. Only the tenant's own keys count, never a key from a token.
   */
  async verifier(tenant: Tenant, kid: string): Promise<{ alg: SigningAlgorithm; key: CryptoKey } | null> {
    let keys = await this.published(tenant);
    let record = keys.find((k) => k.kid === kid);
    const ring = this.rings.get(tenant.id) as CachedRing;
    if (!record && this.now() - ring.loadedAt >= UNKNOWN_KID_COOLDOWN_MS) {
      // Maybe rotated by another instance since this one read the ring.
      keys = await this.published(tenant, true);
      record = keys.find((k) => k.kid === kid);
    }
    if (!record) return null;
    const current = this.rings.get(tenant.id) as CachedRing;
    let key = current.verifiers.get(kid);
    if (!key) {
      key = importPublicKey(record);
      current.verifiers.set(kid, key);
    }
    return { alg: record.alg, key: await key };
  }

  /**
   * Rotates now: the next key signs from now on. Resolves the kids after
   * rotation; a 409 `rotation_conflict` when concurrent rotations changed the
   * ring at every attempt (nothing rotated by this call).
   */
  async rotate(tenant: Tenant, trigger: RotationTrigger = "admin"): Promise<{ activeKid: string; nextKid: string }> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const keys = await this.published(tenant, true);
      if (await this.rotateRing(tenant, keys, trigger)) return this.kidsAfterRotation(tenant);
      // A concurrent rotation changed the ring first: read it again and retry.
    }
    throw errors.rotationConflict();
  }

  /** Rotates from the ring as read; false when it changed meanwhile (or has no next key). */
  private async rotateRing(tenant: Tenant, keys: SigningKeyRecord[], trigger: RotationTrigger): Promise<boolean> {
    const active = keys.find((k) => k.state === "active");
    const next = keys.find((k) => k.state === "next");
    if (!next || !(await this.rotateFrom(tenant, active?.id ?? null, next.id))) return false;
    this.deps.metrics.increment("signing_key_rotations_total", { trigger });
    return true;
  }

  private async kidsAfterRotation(tenant: Tenant): Promise<{ activeKid: string; nextKid: string }> {
    const after = await this.published(tenant, true);
    const kidOf = (state: string) => after.find((k) => k.state === state)?.kid ?? "";
    return { activeKid: kidOf("active"), nextKid: kidOf("next") };
  }

  /**
   * When (ms) the last token issued until `now` expires: the tenant's
   * access-token lifetime from now, or a client's longer one (ID tokens live
   * as long). A client changed since it was made may have had a longer
   * one: its tokens from before count as the longest any token may have.
   */
  private async lastTokenExpiry(tenant: Tenant, now: number): Promise<number> {
    const ttlMs = (seconds: number) => seconds * 1000;
    let last = now + ttlMs(settingsOf(tenant).accessTokenTtl);
    // A page at a time: a tenant may hold more clients than the cap (created before there was one).
    for (let after: ListingPosition | null = null; ; ) {
      const page = await this.db.clients.list(tenant.id, after, CLIENT_PAGE);
      for (const { client } of page) {
        last = Math.max(
          last,
          now + ttlMs(client.accessTokenTtl ?? 0),
          client.updatedAt > client.createdAt ? client.updatedAt.getTime() + ttlMs(ACCESS_TOKEN_TTL_RANGE.max) : 0,
        );
      }
      if (page.length < CLIENT_PAGE) return last;
      after = page.at(-1)?.position ?? null;
    }
  }

  private async rotateFrom(tenant: Tenant, activeId: string | null, nextId: string): Promise<boolean> {
    const now = this.deps.clock.now();
    const settings = settingsOf(tenant);
    // Every token the retiring key signed expires within the longest lifetime a token of the tenant
    // has (a client's own may exceed the tenant's); other instances may sign with it until their
    // cache expires, and verifiers allow some clock skew.
    const lastExpiry = await this.lastTokenExpiry(tenant, now.getTime());
    const rotated = await this.db.signingKeys.rotate({
      tenantId: tenant.id,
      activeId,
      nextId,
      now,
      retiredPublishUntil: new Date(lastExpiry + this.options.cacheMs + this.options.clockSkewMs),
      newNext: await generateSigningKey(tenant.id, settings.signingAlg, this.deps),
    });
    if (rotated) {
      this.rings.delete(tenant.id);
      this.deps.logger.info("signing_key_rotated", { tenant_id: tenant.id });
    }
    return rotated;
  }

  /**
   * The scheduled job's rule: rotate when the active key has signed for the
   * rotation interval and the next key has been published for at least one
   * JWKS cache lifetime (so every verifier has seen it before it signs).
   */
  async rotateIfDue(tenant: Tenant): Promise<boolean> {
    const keys = await this.published(tenant, true);
    const active = keys.find((k) => k.state === "active");
    const next = keys.find((k) => k.state === "next");
    if (!active || !next) return false;
    const now = this.now();
    const activeSince = (active.activatedAt ?? active.createdAt).getTime();
    if (now - activeSince < this.options.rotationIntervalMs) return false;
    if (now - next.createdAt.getTime() < this.options.jwksMaxAgeMs) return false;
    // Only from the ring just judged due: when it changed meanwhile, another replica's job
    // (or an admin) rotated it, and rotating again would retire a key that has just begun.
    return this.rotateRing(tenant, keys, "scheduled");
  }
}

/** The JWKS document: public members with `kid`, `alg`, `use` (RFC 7517 §4). */
export function jwksOf(keys: SigningKeyRecord[]): { keys: Record<string, unknown>[] } {
  return { keys: keys.map((k) => ({ ...k.publicJwk, kid: k.kid, alg: k.alg, use: "sig" })) };
}
