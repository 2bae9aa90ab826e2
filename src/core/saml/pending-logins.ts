import { putSealed, takeSealed } from "../crypto/sealed-entries.js";
import type { Sealer } from "../crypto/sealing.js";
import { withParams } from "../net/redirect-uri.js";
import { errorParams } from "../oidc/oauth-error.js";
import type { KeyValueStore } from "../ports/key-value.js";
import type { SamlStatusResponse } from "../ports/saml.js";

/** How long an AuthnRequest may wait for its response. */
const REQUEST_TTL_MS = 10 * 60_000;
/** Scoped to the tenant and connection, so a response posted to another ACS misses and consumes nothing. */
const requestKey = (tenantId: string, connection: string, id: string) => `saml-request:${tenantId}:${connection}:${id}`;

/**
 * What the login step stores under the AuthnRequest's ID (in a key naming
 * tenant and connection), for the ACS. Sealed under that key
 * (sealed-entries.ts): a Redis dump holds no RelayState to pair with the ID
 * in the key's name, which a posted response needs to spend the login.
 */
export interface PendingSamlLogin {
  redirectUri: string;
  clientState: string | null;
  codeChallenge: string | null;
  relayState: string;
}

/** SP-initiated logins waiting for their IdP's answer, by AuthnRequest ID (10 minutes). */
export class PendingSamlLogins {
  constructor(private readonly deps: { kv: KeyValueStore; sealer: Sealer }) {}

  async put(tenantId: string, connection: string, requestId: string, pending: PendingSamlLogin): Promise<void> {
    await putSealed(this.deps, requestKey(tenantId, connection, requestId), pending, REQUEST_TTL_MS);
  }

  /** Spends the login the request ID names; resolves it when the RelayState presented is its own, else null. */
  async take(
    tenantId: string,
    connection: string,
    requestId: string,
    relayState: string | null,
  ): Promise<PendingSamlLogin | null> {
    const key = requestKey(tenantId, connection, requestId);
    // Entries the previous release wrote in clear are still read: they are gone within REQUEST_TTL_MS.
    const pending = await takeSealed<PendingSamlLogin>(this.deps, key, { readClear: true });
    return pending && pending.relayState === relayState ? pending : null;
  }

  /**
   * The IdP did not sign the user in (a status, no assertion). When the
   * response answers this connection's pending login (its request ID, which
   * only that browser's login knows, and RelayState), the login ends at its
   * redirect URI with access_denied; otherwise a problem (400). Unsigned is
   * enough: it can only end a login, never make one.
   */
  async endedAtIdp(
    tenantId: string,
    connection: string,
    relayState: string | null,
    status: SamlStatusResponse,
  ): Promise<{ location: string; code: string } | { problem: string }> {
    const code = (status.detail ?? status.status).replace(/^urn:oasis:names:tc:SAML:2\.0:status:/, "").slice(0, 64);
    if (status.status.endsWith(":Success")) return { problem: "The response holds no assertion." };
    const pending = status.inResponseTo ? await this.take(tenantId, connection, status.inResponseTo, relayState) : null;
    if (!pending) return { problem: `The IdP answered ${code || "without a status"} for no pending login.` };
    const location = withParams(pending.redirectUri, {
      ...errorParams("access_denied", `The identity provider did not sign the user in (${code || "no status"}).`),
      state: pending.clientState,
    });
    return { location, code };
  }
}
