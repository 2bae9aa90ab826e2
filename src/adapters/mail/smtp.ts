import nodemailer from "nodemailer";
import { assertSafeHeaders } from "../../core/mail/header-safety.js";
import { needsSmtpUtf8, withAsciiDomain } from "../../core/mail/mail-address.js";
import { type Mailer, type MailMessage, PermanentMailError } from "../../core/ports/mail.js";
import { sendSmtpUtf8Mail } from "./smtp-utf8.js";

export interface SmtpMailer extends Mailer {
  close(): void;
}

// A server that stops answering fails the attempt in seconds (nodemailer waits up to 10 min
// by default), so the outbox can retry it and its slot is not held.
const TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 };

/**
 * Node: mail over SMTP with nodemailer. `smtp://host:port` upgrades with
 * STARTTLS when the server offers it; `smtps://` is TLS from the first byte
 * (port 465); `user:pass@` in the URL is the AUTH login. Connections are
 * pooled and reused across mails; a mail to or from a non-ASCII local part
 * (EAI) goes in a session of its own, sent only when the server offers
 * SMTPUTF8 (./smtp-utf8.ts).
 */
export function createSmtpMailer(smtpUrl: string, from: string): SmtpMailer {
  const transport = nodemailer.createTransport({ url: smtpUrl, pool: true, ...TIMEOUTS });
  return {
    async send(message: MailMessage) {
      assertSafeHeaders(from, message);
      const mail = {
        from: withAsciiDomain(from),
        to: withAsciiDomain(message.to),
        subject: message.subject,
        text: message.text,
        html: message.html,
      };
      try {
        if (needsSmtpUtf8(mail.from) || needsSmtpUtf8(mail.to)) await sendSmtpUtf8Mail(smtpUrl, TIMEOUTS, mail);
        else await transport.sendMail(mail);
      } catch (error) {
        if (error instanceof PermanentMailError) throw error;
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
