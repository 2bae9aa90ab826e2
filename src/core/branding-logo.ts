/**
 * The tenant's branding logo, served by the service itself: hosted pages load
 * no third-party asset (API.md), so the logo an admin names is fetched once,
 * when the branding is set, and its bytes are kept with the tenant.
 */
import { BoundedCache } from "./bounded-cache.js";
import { toBase64Url } from "./crypto/encoding.js";
import { errors } from "./errors.js";
import type { EgressPolicy } from "./net/egress.js";
import { type EgressLimits, egressFetch } from "./net/egress-fetch.js";
import type { Clock } from "./ports/clock.js";
import type { Database, Tenant } from "./ports/database.js";
import { brandingOf } from "./tenant-settings.js";
import type { TenantService } from "./tenants.js";

/** The largest logo taken: pages show it 40 px high. */
const LOGO_MAX_BYTES = 256 * 1024;
const LOGO_LIMITS: EgressLimits = { timeoutMs: 5_000, maxBytes: LOGO_MAX_BYTES };
/** Logos kept in memory per process (at most 16 MiB); each also expires with the tenant lookup's refresh. */
const CACHED_LOGOS = 64;
const CACHE_MS = 5_000;

const ascii = (text: string) => Array.from(text, (ch) => ch.charCodeAt(0));
const startsWith = (bytes: Uint8Array, magic: number[], at = 0) => magic.every((b, i) => bytes[at + i] === b);

/**
 * The raster image a logo is, by its magic bytes (whatever Content-Type said);
 * null for anything else, SVG included (an SVG document can carry script).
 */
function logoType(bytes: Uint8Array): string | null {
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "image/png";
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return "image/jpeg";
  if (startsWith(bytes, ascii("GIF87a")) || startsWith(bytes, ascii("GIF89a"))) return "image/gif";
  if (startsWith(bytes, ascii("RIFF")) && startsWith(bytes, ascii("WEBP"), 8)) return "image/webp";
  return null;
}

/** What the logo route serves. */
interface Logo {
  bytes: Uint8Array;
  type: string;
  /** The bytes' SHA-256 (base64url): the entity tag, and the version pages name. */
  version: string;
}

interface BrandingInput {
  logo_url: string | null;
  accent_color: string | null;
  language: string;
}

/**
 * Where the tenant's logo is served, under the service's origin: the version
 * in the query makes a new logo a new URL, so caches never show the old one.
 * Null when the tenant has none.
 */
export function logoPath(tenant: Tenant): string | null {
  const version = brandingOf(tenant).logoVersion;
  return version ? `/t/${tenant.slug}/branding/logo?v=${version}` : null;
}

const refused = (message: string) => errors.validation([{ path: "logo_url", message }]);

export class BrandingLogos {
  private readonly fetch: typeof fetch;
  private readonly cache = new BoundedCache<Logo>(CACHED_LOGOS, CACHE_MS);

  constructor(
    private readonly deps: {
      db: Database;
      tenants: TenantService;
      clock: Clock;
      egress: EgressPolicy;
      /** The runtime's fetch for tenant-given URLs (Node: the one checking resolved addresses). */
      fetch: typeof fetch;
    },
  ) {
    this.fetch = egressFetch(deps.fetch, deps.egress, LOGO_LIMITS);
  }

  /**
   * Replaces the branding: a logo URL is fetched now (400 naming logo_url when it is not a usable image);
   * with `basis`, only while the stored branding is still the basis's (else 412).
   */
  async set(tenant: Tenant, input: BrandingInput, basis?: Tenant): Promise<Tenant> {
    const logo = input.logo_url === null ? null : await this.download(input.logo_url);
    const version = logo && (await digest(logo));
    return this.deps.tenants.updateSettings(tenant, { branding: { ...input, logo_version: version } }, logo, basis);
  }

  /** The logo the tenant's settings name (null when none); read from the database once per version and process. */
  async logo(tenant: Tenant): Promise<Logo | null> {
    const version = brandingOf(tenant).logoVersion;
    if (!version) return null;
    const key = `${tenant.id}:${version}`;
    const now = this.deps.clock.now().getTime();
    const hit = this.cache.get(key, now);
    if (hit) return hit;
    const bytes = await this.deps.db.tenants.findLogo(tenant.id);
    const type = bytes && logoType(bytes);
    if (!bytes || !type) return null;
    // Another process may have stored a newer logo than this lookup's settings name: serve it under its own version.
    const logo = { bytes, type, version: await digest(bytes) };
    if (logo.version === version) this.cache.set(key, logo, now);
    return logo;
  }

  private async download(url: string): Promise<Uint8Array> {
    const refusal = this.deps.egress.refusal(new URL(url));
    if (refusal) throw refused(refusal);
    let response: Response;
    try {
      response = await this.fetch(url, { headers: { Accept: "image/png, image/jpeg, image/gif, image/webp" } });
    } catch (error) {
      const name = error instanceof Error ? error.name : "";
      if (name === "ResponseTooLarge") throw refused(`is larger than ${LOGO_MAX_BYTES} bytes`);
      if (name === "TimeoutError") throw refused(`did not answer within ${LOGO_LIMITS.timeoutMs / 1000} s`);
      throw refused("could not be fetched (no connection or a refused address)");
    }
    if (response.status >= 300 && response.status < 400) {
      throw refused(`answered a redirect (HTTP ${response.status}), which is not followed; give the final URL`);
    }
    if (response.status !== 200) throw refused(`answered HTTP ${response.status}`);
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (logoType(bytes)) return bytes;
    const svg = /svg/i.test(response.headers.get("content-type") ?? "") || /<svg/i.test(sniffText(bytes));
    throw refused(
      svg
        ? "is an SVG image, which can carry script: use PNG, JPEG, GIF or WebP"
        : "is not a PNG, JPEG, GIF or WebP image",
    );
  }
}

const sniffText = (bytes: Uint8Array) => new TextDecoder().decode(bytes.subarray(0, 1024));

async function digest(bytes: Uint8Array): Promise<string> {
  return toBase64Url(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>)));
}
