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
 * Why a mail was refused for good, as `mail_undelivered` logs it: `rejected`
 * (the far side or a header check said no), `smtputf8_unsupported` (the
 * recipient's local part is not ASCII and the SMTP server does not offer
 * SMTPUTF8, so there is no valid way to send it there: RFC 6531 §3.4).
 */
export type PermanentMailReason = "rejected" | "smtputf8_unsupported";

/**
 * The far side refused this mail for good (an SMTP 5xx, a provider's
 * rejection of the request), or it cannot be sent there at all: sending it
 * again would fail again, so it is not retried.
 */
export class PermanentMailError extends Error {
  readonly reason: PermanentMailReason;

  constructor(message: string, options?: { cause?: unknown; reason?: PermanentMailReason }) {
    super(message, options);
    this.name = "PermanentMailError";
    this.reason = options?.reason ?? "rejected";
  }
}
