import type { Tenant } from "../ports/database.js";

/**
 * Whether `rpId` may stand for pages at `host` (WebAuthn §5.1.3 step 8 /
 * HTML's "is a registrable domain suffix of or is equal to"): the host itself,
 * or a parent domain of it that is not a bare top-level label. Without the
 * Public Suffix List a two-label public suffix (co.uk) is not caught here;
 * browsers refuse such an RP ID themselves.
 */
export function isRegistrableSuffix(rpId: string, host: string): boolean {
  const id = rpId.toLowerCase();
  const h = host.toLowerCase();
  if (id === h) return true;
  if (!/^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(id) || id.split(".").some((label) => label === "" || label.length > 63)) {
    return false;
  }
  // An IP address has no parent domains.
  if (/^[0-9.]+$/.test(h) || h.includes(":")) return false;
  return h.endsWith(`.${id}`);
}

/** The relying party passkeys of the tenant are scoped to. */
export interface RelyingParty {
  /** WebAuthn RP ID: the PUBLIC_URL host, or the tenant's `passkey_rp_id` when it is a registrable suffix of it. */
  id: string;
  /** The only origin ceremonies may come from: PUBLIC_URL's. */
  origin: string;
  /** Shown by the authenticator: the tenant's name. */
  name: string;
}

/** `ignoredSetting`: the tenant's setting when it is present but unusable (the caller logs it; the host is used). */
export function relyingPartyOf(tenant: Tenant, publicUrl: string): { rp: RelyingParty; ignoredSetting: string | null } {
  const url = new URL(publicUrl);
  const configured = tenant.settings.passkey_rp_id;
  const usable = typeof configured === "string" && isRegistrableSuffix(configured, url.hostname);
  return {
    rp: { id: usable ? configured.toLowerCase() : url.hostname, origin: url.origin, name: tenant.name },
    ignoredSetting: configured == null || usable ? null : String(configured),
  };
}
