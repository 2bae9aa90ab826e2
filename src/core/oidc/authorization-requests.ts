import { toBase64Url } from "../crypto/encoding.js";
import type { Random } from "../ports/clock.js";
import type { Tenant } from "../ports/database.js";
import { deleteIfEquals, type KeyValueStore, setIfPresent } from "../ports/key-value.js";
import { settleAll } from "../settle-all.js";
import type { AuthorizationRequest } from "./authorization.js";

/** How long a user may take to sign in and consent. */
const PENDING_TTL_MS = 15 * 60_000;
/** How long a request's trail outlives it while pending (an expired request can still link back)... */
const TRAIL_TTL_MS = 2 * 60 * 60_000;
/** ...and once answered (a second click or Back is told the sign-in is complete, for a few minutes). */
const FINISHED_TRAIL_TTL_MS = 10 * 60_000;
const ID = /^[A-Za-z0-9_-]{43}$/;
// Under its tenant: an id presented at another tenant misses.
const pendingKey = (tenantId: string, id: string) => `authz-request:${tenantId}:${id}`;
const trailKey = (tenantId: string, id: string) => `authz-trail:${tenantId}:${id}`;

interface Stored {
  request: AuthorizationRequest;
  /** The hash of the browser's id (hosted pages' browser cookie): the id works only in that browser. */
  browser: string;
}

/** What is left of a request that is no longer pending: no code, no token, only where to send the person back. */
export interface Trail {
  /** Answered (a code or an error went to the client) in this browser; false when it expired or was lost. */
  finished: boolean;
  /** The origin of the client's redirect URI (http/https only), where a person can start again; null otherwise. */
  home: string | null;
}

interface StoredTrail {
  browser: string;
  home: string | null;
  finished: boolean;
}

/** The origin of a registered redirect URI, as a link a page may show; a native app's scheme gives none. */
function homeOf(redirectUri: string): string | null {
  if (!URL.canParse(redirectUri)) return null;
  const url = new URL(redirectUri);
  return url.protocol === "https:" || url.protocol === "http:" ? `${url.origin}/` : null;
}

/** A pending request as stored: the request and the browser it is bound to. */
const storedText = (request: AuthorizationRequest, browser: string) =>
  JSON.stringify({ request, browser } satisfies Stored);

/** A request's trail: its browser, where its client lives, whether it was answered. */
const trailText = (request: AuthorizationRequest, browser: string, finished: boolean) =>
  JSON.stringify({ browser, home: homeOf(request.redirectUri), finished } satisfies StoredTrail);

/**
 * Authorization requests waiting for a login or consent, in Redis under an
 * opaque id that the hosted pages carry in a hidden input (so their forms
 * hold nothing of the request itself). Beside each, a trail that outlives it
 * (no code, no token): whether it was answered and where its client lives, so
 * a late or repeated submit gets an honest page with a way back.
 */
export class PendingAuthorizations {
  constructor(private readonly deps: { kv: KeyValueStore; random: Random }) {}

  async create(tenant: Tenant, request: AuthorizationRequest, browser: string): Promise<string> {
    const id = toBase64Url(this.deps.random.bytes(32));
    // Side by side: neither needs the other first.
    await settleAll([
      this.deps.kv.set(pendingKey(tenant.id, id), storedText(request, browser), { ttlMs: PENDING_TTL_MS }),
      this.deps.kv.set(trailKey(tenant.id, id), trailText(request, browser, false), { ttlMs: TRAIL_TTL_MS }),
    ]);
    return id;
  }

  /** The pending request, when it exists at this tenant and was started by this browser; null otherwise. */
  async find(tenant: Tenant, id: string | undefined, browser: string): Promise<AuthorizationRequest | null> {
    if (!id || !ID.test(id)) return null;
    const raw = await this.deps.kv.get(pendingKey(tenant.id, id));
    const stored = raw ? (JSON.parse(raw) as Stored) : null;
    return stored && stored.browser === browser ? stored.request : null;
  }

  /**
   * Takes the request for this browser, atomically (compare-and-delete of the
   * value just read): of concurrent submits, one gets it and the others null,
   * so one request yields at most one session and one code.
   */
  async claim(tenant: Tenant, id: string, browser: string): Promise<AuthorizationRequest | null> {
    if (!ID.test(id)) return null;
    const key = pendingKey(tenant.id, id);
    const raw = await this.deps.kv.get(key);
    const stored = raw ? (JSON.parse(raw) as Stored) : null;
    if (!raw || !stored || stored.browser !== browser) return null;
    return (await this.deps.kv.run(deleteIfEquals, [key], [raw])) ? stored.request : null;
  }

  /** Puts back a request this browser claimed and that goes on (to consent, or to another login); false if one is there. */
  restore(tenant: Tenant, id: string, request: AuthorizationRequest, browser: string): Promise<boolean> {
    return this.deps.kv.set(pendingKey(tenant.id, id), storedText(request, browser), {
      ttlMs: PENDING_TTL_MS,
      onlyIfAbsent: true,
    });
  }

  /** Records a change (a login within the request), keeping it pending; false (nothing written) when it is over. */
  update(tenant: Tenant, id: string, request: AuthorizationRequest, browser: string): Promise<boolean> {
    return this.deps.kv.run(setIfPresent, [pendingKey(tenant.id, id)], [storedText(request, browser), PENDING_TTL_MS]);
  }

  /** Ends the request (answered with a code or an error): its id no longer works; its trail says it was answered. */
  async finish(tenant: Tenant, id: string, request: AuthorizationRequest, browser: string): Promise<void> {
    await settleAll([
      this.deps.kv.del(pendingKey(tenant.id, id)),
      this.deps.kv.set(trailKey(tenant.id, id), trailText(request, browser, true), { ttlMs: FINISHED_TRAIL_TTL_MS }),
    ]);
  }

  /** Forgets a request that cannot be answered at its redirect URI (its client is gone): no trail of an answer. */
  async drop(tenant: Tenant, id: string): Promise<void> {
    await this.deps.kv.del(pendingKey(tenant.id, id));
  }

  /**
   * The trail of a request that is not pending: `finished` only for the
   * browser that answered it; `home` for anyone holding the id (the client's
   * public origin), so a browser that lost its cookies still gets a way back.
   */
  async trail(tenant: Tenant, id: string | undefined, browser: string | null): Promise<Trail | null> {
    if (!id || !ID.test(id)) return null;
    const raw = await this.deps.kv.get(trailKey(tenant.id, id));
    if (!raw) return null;
    const stored = JSON.parse(raw) as StoredTrail;
    return { finished: stored.finished && stored.browser === browser, home: stored.home };
  }
}
