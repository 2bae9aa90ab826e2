/**
 * The authority refusing this service's own API key (401 or 403 from the
 * introspection or API-key verification endpoint) is a configuration error,
 * not an outage: retrying will not fix it. It is logged once, and again only
 * if the key worked in between, so the log names the cause without a line
 * per request. The key itself is never logged.
 */
import type { ErrorLogger } from "../verify/types.js";

/** 401: the key is unknown, revoked or expired; 403: it lacks the scope (RFC 6750 §3.1). */
export const isCredentialRefusal = (status: number) => status === 401 || status === 403;

export class CredentialAlarm {
  private raised = false;

  constructor(
    private readonly logger: ErrorLogger,
    /** The option holding the key and the scope it needs, for the message. */
    private readonly option: string,
    private readonly scope: string,
  ) {}

  refused(status: number, url: string): void {
    if (this.raised) return;
    this.raised = true;
    this.logger.error(
      `@authority/sdk: the authority refused this service's API key (HTTP ${status} from ${url}). ` +
        `Check ${this.option}: it must be a valid key of this tenant holding the scope ${this.scope}. ` +
        "Until it is fixed, every request that needs it is answered 500.",
    );
  }

  accepted(): void {
    this.raised = false;
  }
}
