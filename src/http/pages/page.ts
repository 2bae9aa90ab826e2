import type { Context } from "hono";
import { logoPath } from "../../core/branding-logo.js";
import { toBase64Url } from "../../core/crypto/encoding.js";
import { brandingOf } from "../../core/tenant-settings.js";
import type { AppEnv } from "../context.js";
import { ownPolicy, pagePolicy } from "../middleware/security-headers.js";
import { csrfToken } from "./browser.js";
import { type PageCatalogue, pagesIn } from "./catalogue.js";
import { type Theme, themeOf } from "./theme.js";

/** What every hosted page is rendered with: the tenant's look and language, this response's nonce and CSRF token. */
export interface PageContext {
  strings: PageCatalogue;
  tenantName: string;
  /** The tenant's logo as this service serves it (never a third-party URL), or null. */
  logoUrl: string | null;
  theme: Theme;
  nonce: string;
  /** `/t/{tenant}`: where the page's forms and links point. */
  base: string;
  /** Empty on pages without a tenant (an unknown tenant's error page), which have no forms. */
  csrf: string;
}

const NONCE_BYTES = 16;

/** The page context of this request, in `language` when given (ui_locales), else the tenant's. */
export async function pageContext(c: Context<AppEnv>, language?: PageCatalogue | null): Promise<PageContext> {
  const tenant = c.get("tenant");
  const branding = tenant ? brandingOf(tenant) : null;
  return {
    strings: language ?? pagesIn(branding?.language ?? "en"),
    tenantName: tenant?.name ?? "Sign-in",
    logoUrl: tenant ? logoPath(tenant) : null,
    theme: themeOf({ accentColor: branding?.accentColor ?? null }),
    nonce: toBase64Url(c.get("services").random.bytes(NONCE_BYTES)),
    base: tenant ? `/t/${tenant.slug}` : "",
    csrf: tenant ? await csrfToken(c) : "",
  };
}

/**
 * A CSP source expression for a URI a form may end up at (CSP3 §2.3.1): an
 * http(s) URI as origin and path (`;` and `,` would end the expression, so
 * they are percent-encoded; CSP decodes paths before matching), any other
 * scheme (a native app's) as the scheme alone. Null when it does not parse.
 */
function formTarget(uri: string): string | null {
  if (!URL.canParse(uri)) return null;
  const url = new URL(uri);
  if (url.protocol !== "https:" && url.protocol !== "http:")
    return /^[a-z][a-z0-9+.-]*:$/.test(url.protocol) ? url.protocol : null;
  return `${url.origin}${url.pathname.replace(/[;,]/g, (ch) => encodeURIComponent(ch))}`;
}

/** Sends a rendered page: its own CSP (nonce, form targets), never cached (it holds a CSRF token). */
export function sendPage(
  c: Context<AppEnv>,
  page: PageContext,
  body: unknown,
  options: {
    status?: number;
    formTargets?: string[];
    headers?: Record<string, string>;
    /** The script the page loads (FormScript or the passkey script), if any. */
    script?: "forms" | "passkey";
  } = {},
): Response {
  const targets = (options.formTargets ?? []).map(formTarget).filter((t): t is string => t !== null);
  ownPolicy(c, pagePolicy(page.nonce, [...new Set(targets)], options.script));
  c.header("Cache-Control", "no-store");
  for (const [name, value] of Object.entries(options.headers ?? {})) c.header(name, value);
  return c.html(`<!doctype html>${String(body)}`, (options.status ?? 200) as 200);
}
