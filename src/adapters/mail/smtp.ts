import nodemailer from "nodemailer";
import { assertSafeHeaders } from "../../core/mail/header-safety.js";
import type { Mailer, MailMessage } from "../../core/ports/mail.js";

export interface SmtpMailer extends Mailer {
  close(): void;
}

/**
 * Node: mail over SMTP with nodemailer. `smtp://host:port` upgrades with
 * STARTTLS when the server offers it; `smtps://` is TLS from the first byte
 * (port 465); `user:pass@` in the URL is the AUTH login. Connections are
 * pooled and reused across mails.
 */
export function createSmtpMailer(smtpUrl: string, from: string): SmtpMailer {
  const transport = nodemailer.createTransport({ url: smtpUrl, pool: true });
  return {
    async send(message: MailMessage) {
      assertSafeHeaders(from, message);
      await transport.sendMail({
        from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        html: message.html,
      });
    },
    close: () => transport.close(),
  };
}
