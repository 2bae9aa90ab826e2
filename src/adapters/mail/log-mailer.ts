import { assertSafeHeaders } from "../../core/mail/header-safety.js";
import type { Logger } from "../../core/ports/logger.js";
import type { Mailer, MailMessage } from "../../core/ports/mail.js";

/**
 * Development without a mail server: the mail is written to the log, its
 * whole text part included, so the link it carries (with its `token=`) can
 * be followed. The entries refuse it in production, where that log would
 * hand out account secrets.
 */
export function createLogMailer(logger: Logger, from: string): Mailer {
  return {
    async send(message: MailMessage) {
      assertSafeHeaders(from, message);
      logger.info("mail_logged", {
        kind: message.kind,
        from,
        to: message.to,
        subject: message.subject,
        text: message.text,
      });
    },
  };
}
