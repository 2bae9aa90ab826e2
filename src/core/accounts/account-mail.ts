import { logoPath } from "../branding-logo.js";
import { errors } from "../errors.js";
import { type MailTemplate, renderMail } from "../mail/templates.js";
import type { Tenant } from "../ports/database.js";
import type { MailMessage } from "../ports/mail.js";
import type { RateLimiter } from "../rate-limit/limiter.js";
import { MAIL_PER_ADDRESS_LIMIT } from "../rate-limit/limits.js";
import { rateLimitedError } from "../rate-limit/rate-limit-errors.js";
import { brandingOf } from "../tenant-settings.js";

/** Where mails go: the outbox (sent after the response, retried, shared fairly by tenants); absent when no mailer is configured. */
export interface MailQueue {
  send(tenantId: string, message: MailMessage): Promise<unknown>;
}

/** Pages a mailed link opens, under `{PUBLIC_URL}/t/{tenant}/` (API.md). */
export type LinkPage = "email/verify" | "password/reset";

/** The mails of the account lifecycle: per-address throttling, links and the tenant's branding. */
export class AccountMail {
  constructor(private readonly deps: { queue: MailQueue | undefined; limiter: RateLimiter; publicUrl: string }) {}

  /** 503 `mail_unavailable` before any work when no mailer is configured. */
  requireDelivery(): void {
    if (!this.deps.queue) throw errors.mailUnavailable();
  }

  /**
   * Counts one mail of `kind` to the address with this blind index: 429 past
   * MAIL_PER_ADDRESS_LIMIT, 503 when Redis cannot count (no unbounded mail).
   * Callers count before looking the address up, so the answer is the same
   * whether or not it has an account.
   */
  async admit(tenant: Tenant, kind: string, addressIndex: string): Promise<void> {
    const decision = await this.deps.limiter.decide(
      "mail_address",
      `ml:${tenant.id}:${kind}:${addressIndex}`,
      MAIL_PER_ADDRESS_LIMIT,
    );
    if (!decision) throw errors.unavailable("Mail is paused: the rate limiter cannot be reached.");
    if (!decision.allowed) {
      throw rateLimitedError(decision.retryAfterMs, "Too many mails to this address; wait before asking again.");
    }
  }

  link(tenant: Tenant, page: LinkPage, token: string): string {
    return `${this.deps.publicUrl}/t/${tenant.slug}/${page}?token=${encodeURIComponent(token)}`;
  }

  /** Renders the mail in the tenant's branding and queues it; resolves once it is sent or given up. */
  async send(tenant: Tenant, to: string, template: MailTemplate): Promise<void> {
    const queue = this.deps.queue;
    if (!queue) return;
    const { accentColor, language } = brandingOf(tenant);
    // The logo the service fetched and serves, not the admin's URL: the mail shows what was checked.
    const path = logoPath(tenant);
    const logoUrl = path && `${this.deps.publicUrl}${path}`;
    await queue.send(tenant.id, renderMail(template, to, { tenantName: tenant.name, logoUrl, accentColor, language }));
  }
}
