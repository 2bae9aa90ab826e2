import { type MailMessage, PermanentMailError } from "../ports/mail.js";

/**
 * A CR or LF in a header value ends the header (RFC 5322 §2.2): a recipient,
 * subject or sender carrying one could add headers or recipients (header
 * injection). Every mailer refuses such a mail before anything is sent, and
 * for good: the same mail would be refused again.
 */
const LINE_BREAK = /[\r\n]/;

export class UnsafeMailHeaderError extends PermanentMailError {
  constructor(readonly field: "from" | "to" | "subject") {
    super(`Mail refused: the ${field} header contains a line break`);
    this.name = "UnsafeMailHeaderError";
  }
}

export function assertSafeHeaders(from: string, message: MailMessage): void {
  if (LINE_BREAK.test(from)) throw new UnsafeMailHeaderError("from");
  if (LINE_BREAK.test(message.to)) throw new UnsafeMailHeaderError("to");
  if (LINE_BREAK.test(message.subject)) throw new UnsafeMailHeaderError("subject");
}
