import MailComposer from "nodemailer/lib/mail-composer";
import { parseConnectionUrl } from "nodemailer/lib/shared";
import SMTPConnection, { type SMTPConnectionOptions } from "nodemailer/lib/smtp-connection";
import { PermanentMailError } from "../../core/ports/mail.js";

/** The mail as nodemailer composes it. */
export interface SmtpMail {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** SMTPUTF8 in an EHLO reply's keyword lines (`250-SMTPUTF8`, `250 SMTPUTF8`). */
const SMTPUTF8 = /^250[ -]SMTPUTF8\b/im;

class SmtpUtf8UnsupportedError extends PermanentMailError {
  constructor() {
    super("The SMTP server does not offer SMTPUTF8, which a non-ASCII local part in the envelope needs", {
      reason: "smtputf8_unsupported",
    });
    this.name = "SmtpUtf8UnsupportedError";
  }
}

/**
 * Sends a mail whose envelope holds a non-ASCII local part, in a session of
 * its own. Such a mailbox may go only to a server that advertises SMTPUTF8,
 * in a transaction whose MAIL carries the SMTPUTF8 parameter (RFC 6531 §3.4,
 * §3.7.1), and its UTF-8 headers only there (RFC 6532 §3); it has no ASCII
 * form to fall back on. nodemailer adds the parameter when the server
 * offers it, but without it sends the UTF-8 MAIL and RCPT all the same, and
 * its pool tells nothing of the server before the envelope. So: connect and
 * EHLO, read the extensions from the EHLO reply (the last reply when
 * connect's callback runs: after STARTTLS, the second EHLO's), and without
 * SMTPUTF8 say QUIT before any MAIL, a permanent failure (the server would
 * answer 553 5.6.7 every time). Mail like this is rare; its own connection
 * costs a handshake and keeps the pool's connections for the rest.
 */
export function sendSmtpUtf8Mail(smtpUrl: string, timeouts: SMTPConnectionOptions, mail: SmtpMail): Promise<void> {
  const { auth, ...url } = parseConnectionUrl(smtpUrl);
  const connection = new SMTPConnection({ ...url, ...timeouts } as SMTPConnectionOptions);
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const finish = (error?: unknown) => {
      if (settled) return;
      settled = true;
      if (error) {
        connection.close();
        reject(error);
      } else {
        connection.quit();
        resolve();
      }
    };
    // `on`, not `once`: an error after the end (the socket's, during QUIT) must find a listener.
    connection.on("error", finish);
    connection.once("end", () => finish(new Error("The SMTP server closed the connection")));
    connection.connect((error) => {
      if (error) return finish(error);
      const ehlo = connection.lastServerResponse;
      if (typeof ehlo !== "string" || !SMTPUTF8.test(ehlo)) {
        settled = true;
        connection.quit();
        return reject(new SmtpUtf8UnsupportedError());
      }
      const send = () => {
        const message = new MailComposer(mail).compile();
        connection.send(message.getEnvelope(), message.createReadStream(), (sendError) => finish(sendError));
      };
      if (!auth || !connection.allowsAuth) return send();
      connection.login(auth, (loginError) => (loginError ? finish(loginError) : send()));
    });
  });
}
