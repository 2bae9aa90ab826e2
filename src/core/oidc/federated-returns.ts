import { sha256Base64Url } from "../crypto/digest.js";
import { toBase64Url } from "../crypto/encoding.js";
import { putSealed, takeSealed } from "../crypto/sealed-entries.js";
import type { Sealer } from "../crypto/sealing.js";
import type { Random } from "../ports/clock.js";
import type { Tenant } from "../ports/database.js";
import type { KeyValueStore } from "../ports/key-value.js";

/** As long as the upstream login itself may take (federation.ts, saml.ts). */
const RETURN_TTL_MS = 10 * 60_000;
const HANDLE = /^[A-Za-z0-9_-]{43}$/;
const returnKey = (tenantId: string, handle: string) => `hosted-federation:${tenantId}:${handle}`;

/** Sealed under its key (sealed-entries.ts): a Redis dump holds no verifier to redeem the login's code with. */
interface Stored {
  requestId: string | null;
  codeVerifier: string;
  browser: string;
}

/**
 * The hosted login's way through the existing federated flows. The upstream
 * login is started with the hosted return route as its redirect URI and a
 * fresh handle as its `state`; the flow hands back its one-time code there,
 * and the return route redeems it server-side with the PKCE verifier kept
 * here. The handle also remembers which authorization request (if any) the
 * login belongs to and which browser started it.
 */
export class FederatedReturns {
  constructor(private readonly deps: { kv: KeyValueStore; random: Random; sealer: Sealer }) {}

  /** A handle (the upstream flow's `state`) and the PKCE challenge its one-time code is bound to. */
  async start(
    tenant: Tenant,
    requestId: string | null,
    browser: string,
  ): Promise<{ handle: string; codeChallenge: string }> {
    const handle = toBase64Url(this.deps.random.bytes(32));
    const codeVerifier = toBase64Url(this.deps.random.bytes(32));
    const stored: Stored = { requestId, codeVerifier, browser };
    await putSealed(this.deps, returnKey(tenant.id, handle), stored, RETURN_TTL_MS);
    return { handle, codeChallenge: await sha256Base64Url(codeVerifier) };
  }

  /** Spends a handle (once); null when unknown, spent, expired, or started in another browser. */
  async take(
    tenant: Tenant,
    handle: string | undefined,
    browser: string,
  ): Promise<{ requestId: string | null; codeVerifier: string } | null> {
    if (!handle || !HANDLE.test(handle)) return null;
    // Entries the previous release wrote in clear are still read: they are gone within RETURN_TTL_MS.
    const stored = await takeSealed<Stored>(this.deps, returnKey(tenant.id, handle), { readClear: true });
    if (!stored || stored.browser !== browser) return null;
    return { requestId: stored.requestId, codeVerifier: stored.codeVerifier };
  }
}
