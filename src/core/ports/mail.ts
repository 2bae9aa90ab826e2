/** One mail to one recipient, with a plain-text and an HTML part. */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** What the mail is for (e.g. `verify_email`): for logs and metrics, never shown to the recipient. */
  kind: string;
}

/** Sends mail; `send` resolves once the mail is handed over and throws when it was not. */
export interface Mailer {
  send(message: MailMessage): Promise<void>;
  /** Releases what the mailer holds open (pooled SMTP connections); called once, at shutdown. */
  close?(): void;
}

/**
 * The far side refused this mail for good (an SMTP 5xx, a provider's
 * rejection of the request): sending it again would be refused again, so
 * it is not retried.
 */
export class PermanentMailError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "PermanentMailError";
  }
}
