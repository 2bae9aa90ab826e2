import { toBase64Url } from "../crypto/encoding.js";
import type { Random } from "../ports/clock.js";
import type { Tenant } from "../ports/database.js";
import type { KeyValueStore } from "../ports/key-value.js";
import type { AuthorizationRequest } from "./authorization.js";

/** How long a user may take to sign in and consent. */
const PENDING_TTL_MS = 15 * 60_000;
const ID = /^[A-Za-z0-9_-]{43}$/;
// Under its tenant: an id presented at another tenant misses.
const pendingKey = (tenantId: string, id: string) => `authz-request:${tenantId}:${id}`;

interface Stored {
  request: AuthorizationRequest;
  /** The hash of the browser's id (hosted pages' browser cookie): the id works only in that browser. */
  browser: string;
}

/**
 * Authorization requests waiting for a login or consent, in Redis under an
 * opaque id that the hosted pages carry in a hidden input (so their forms
 * hold nothing of the request itself).
 */
export class PendingAuthorizations {
  constructor(private readonly deps: { kv: KeyValueStore; random: Random }) {}

  async create(tenant: Tenant, request: AuthorizationRequest, browser: string): Promise<string> {
    const id = toBase64Url(this.deps.random.bytes(32));
    await this.save(tenant, id, { request, browser });
    return id;
  }

  /** The pending request, when it exists at this tenant and was started by this browser; null otherwise. */
  async find(tenant: Tenant, id: string | undefined, browser: string): Promise<AuthorizationRequest | null> {
    if (!id || !ID.test(id)) return null;
    const raw = await this.deps.kv.get(pendingKey(tenant.id, id));
    const stored = raw ? (JSON.parse(raw) as Stored) : null;
    return stored && stored.browser === browser ? stored.request : null;
  }

  /** Records a change (a login within the request), keeping the request pending. */
  update(tenant: Tenant, id: string, request: AuthorizationRequest, browser: string): Promise<boolean> {
    return this.save(tenant, id, { request, browser });
  }

  /** Ends the request (answered with a code or an error): its id no longer works. */
  async finish(tenant: Tenant, id: string): Promise<void> {
    await this.deps.kv.del(pendingKey(tenant.id, id));
  }

  private save(tenant: Tenant, id: string, stored: Stored): Promise<boolean> {
    return this.deps.kv.set(pendingKey(tenant.id, id), JSON.stringify(stored), { ttlMs: PENDING_TTL_MS });
  }
}
