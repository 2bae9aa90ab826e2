import { assertSafeHeaders } from "../../core/mail/header-safety.js";
import { withAsciiDomain } from "../../core/mail/mail-address.js";
import { type Mailer, type MailMessage, PermanentMailError } from "../../core/ports/mail.js";

const POSTMARK_API_URL = "https://api.postmarkapp.com";

interface PostmarkOptions {
  /** The server's API token (secret), sent as X-Postmark-Server-Token. */
  serverToken: string;
  /** Sender, `address` or `Name <address>`, of a confirmed sender signature or domain. */
  from: string;
  /** Base URL of the API, a path included (a relay's); tests point it at a local stand-in. */
  apiUrl?: string;
  /** Postmark's transactional stream unless told otherwise. */
  messageStream?: string;
  fetch?: typeof fetch;
}

/**
 * Workers (no SMTP sockets for nodemailer): Postmark's "send a single email"
 * API, `POST /email` with a JSON message. Anything but 200 with ErrorCode 0
 * is a failure; the error names Postmark's code and message, never the token.
 * A 4xx other than 429 (bad token, invalid or inactive recipient, invalid
 * request) is a PermanentMailError: the same request would be refused again.
 */
export function createPostmarkMailer(options: PostmarkOptions): Mailer {
  // Appended to the base's path: new URL("/email", base) would drop a relay's prefix.
  const endpoint = `${(options.apiUrl ?? POSTMARK_API_URL).replace(/\/+$/, "")}/email`;
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  return {
    async send(message: MailMessage) {
      assertSafeHeaders(options.from, message);
      const response = await doFetch(endpoint, {
        method: "POST",
        headers: {
          accept: "application/json",
          "content-type": "application/json",
          "x-postmark-server-token": options.serverToken,
        },
        body: JSON.stringify({
          // An ASCII local part at an IDN domain goes out in A-labels, as over SMTP.
          From: withAsciiDomain(options.from),
          To: withAsciiDomain(message.to),
          Subject: message.subject,
          TextBody: message.text,
          HtmlBody: message.html,
          Tag: message.kind,
          MessageStream: options.messageStream ?? "outbound",
        }),
      });
      const reply = (await response.json().catch(() => undefined)) as
        | { ErrorCode?: unknown; Message?: unknown }
        | undefined;
      if (response.status !== 200 || reply?.ErrorCode !== 0) {
        const code = typeof reply?.ErrorCode === "number" ? reply.ErrorCode : "none";
        const text = typeof reply?.Message === "string" ? reply.Message.slice(0, 200) : "no message";
        const problem = `Postmark refused the mail: HTTP ${response.status}, ErrorCode ${code}: ${text}`;
        const permanent = response.status >= 400 && response.status < 500 && response.status !== 429;
        throw permanent ? new PermanentMailError(problem) : new Error(problem);
      }
    },
  };
}
