import nodemailer from "nodemailer";
import { assertSafeHeaders } from "../../core/mail/header-safety.js";
import { type Mailer, type MailMessage, PermanentMailError } from "../../core/ports/mail.js";

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
  const transport = nodemailer.createTransport({
    url: smtpUrl,
    pool: true,
    // A server that stops answering fails the attempt in seconds (nodemailer waits up to 10 min
    // by default), so the outbox can retry it and its slot is not held.
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  });
  return {
    async send(message: MailMessage) {
      assertSafeHeaders(from, message);
      try {
        await transport.sendMail({
          from,
          to: message.to,
          subject: message.subject,
          text: message.text,
          html: message.html,
        });
      } catch (error) {
        // nodemailer marks every 5xx reply but 503 `permanent` (RFC 5321 §4.2.1: permanent negative completion).
        if ((error as { permanent?: unknown }).permanent === true) {
          throw new PermanentMailError("The SMTP server refused the mail", { cause: error });
        }
        throw error;
      }
    },
    close: () => transport.close(),
  };
}
