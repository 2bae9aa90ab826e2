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
}
