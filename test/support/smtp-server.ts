import type { AddressInfo } from "node:net";
import { type AddressObject, simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";

/** A mail as the receiving server parsed it. */
export interface ReceivedMail {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** A mail as the SMTP server received it: parsed, and its header lines as they came (unfolded). */
interface SmtpReceivedMail extends ReceivedMail {
  /** e.g. `To: ada@example.com`. */
  headers: string[];
}

export const SMTP_USER = "mailer";
const SMTP_PASS = "s3cret pass/word";

/** `Name <address>` or `address`, whatever quoting the header used. */
function addressText(header: AddressObject | AddressObject[] | undefined): string {
  const first = (Array.isArray(header) ? header[0] : header)?.value[0];
  if (!first) return "";
  return first.name ? `${first.name} <${first.address}>` : (first.address ?? "");
}

/** Recipients the server refuses, with its reply code: for good (5xx) or for now (4xx). */
const REFUSED: Record<string, number> = { "gone@example.com": 550, "busy@example.com": 451 };

export interface TestSmtpServer {
  port: number;
  /** `smtp://user:pass@127.0.0.1:port`: what SMTP_URL would be. */
  url: string;
  /** The commands clients sent, in order, AUTH's credentials redacted (`MAIL FROM:<a@b> SMTPUTF8`). */
  commands(): string[];
  /** Every mail received so far, parsed. */
  received(): Promise<SmtpReceivedMail[]>;
  /** The `nth` (default first) mail received that matches, waiting up to `timeoutMs` for it. */
  waitFor(
    match: (mail: ReceivedMail) => boolean,
    options?: { nth?: number; timeoutMs?: number },
  ): Promise<ReceivedMail>;
  close(): Promise<void>;
}

const NON_ASCII = /[^\p{ASCII}]/u;

/**
 * A real SMTP server in this process; it accepts only the credentials above
 * and parses each mail it receives. With `smtpUtf8: false` its EHLO lists
 * only PIPELINING, 8BITMIME and AUTH, and, as RFC 6531 §3.4 has it, it
 * answers a non-ASCII address outside an SMTPUTF8 transaction with 553 5.6.7.
 */
export async function startSmtpServer(options: { smtpUtf8?: boolean } = {}): Promise<TestSmtpServer> {
  const smtpUtf8 = options.smtpUtf8 ?? true;
  const received: SmtpReceivedMail[] = [];
  const parsing: Promise<void>[] = [];
  const commands: string[] = [];
  const record = (entry: { tnx?: unknown }, ...args: unknown[]) => {
    if (entry?.tnx === "command") commands.push(String(args[1] ?? ""));
  };
  const quiet = () => undefined;
  /**
   * The command being handled (the last one logged) when it holds a non-ASCII
   * mailbox outside an SMTPUTF8 transaction: what a conforming server refuses.
   * The raw command, as the server's parsed address has its domain in U-labels.
   */
  const refuseUtf8 = (mailFrom: { args: unknown } | false) => {
    const args = mailFrom ? (mailFrom.args as Record<string, unknown> | false) : false;
    if (!NON_ASCII.test(commands.at(-1) ?? "") || (smtpUtf8 && args && args.SMTPUTF8 === true)) return undefined;
    return Object.assign(new Error("5.6.7 Non-ASCII addresses require SMTPUTF8"), { responseCode: 553 });
  };
  const server = new SMTPServer({
    // No certificate here: plain SMTP with AUTH allowed over it (loopback only).
    disabledCommands: ["STARTTLS"],
    ...(smtpUtf8 ? {} : { hideSMTPUTF8: true, hideDSN: true, hideENHANCEDSTATUSCODES: true }),
    allowInsecureAuth: true,
    onAuth(auth, _session, callback) {
      if (auth.username === SMTP_USER && auth.password === SMTP_PASS) return callback(null, { user: SMTP_USER });
      callback(new Error("Invalid username or password"));
    },
    onMailFrom(address, _session, callback) {
      callback(refuseUtf8(address) ?? null);
    },
    onRcptTo(address, session, callback) {
      const utf8 = refuseUtf8(session.envelope.mailFrom);
      if (utf8) return callback(utf8);
      const code = REFUSED[address.address];
      if (!code) return callback();
      callback(Object.assign(new Error(`<${address.address}>: refused`), { responseCode: code }));
    },
    onData(stream, _session, callback) {
      const parsed = simpleParser(stream).then((mail) => {
        received.push({
          from: addressText(mail.from),
          to: addressText(mail.to),
          subject: mail.subject ?? "",
          text: mail.text ?? "",
          html: typeof mail.html === "string" ? mail.html : "",
          // mailparser keeps the raw header lines as binary strings: UTF-8 (RFC 6532) read back as such.
          headers: mail.headerLines.map((header) =>
            Buffer.from(header.line, "latin1")
              .toString("utf8")
              .replace(/\r?\n[ \t]+/g, " "),
          ),
        });
      });
      parsing.push(parsed);
      parsed.then(() => callback(), callback);
    },
    logger: { trace: quiet, debug: record, info: quiet, warn: quiet, error: quiet, fatal: quiet },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.server.address() as AddressInfo;
  const all = async () => {
    await Promise.all(parsing);
    return received;
  };
  return {
    port,
    url: `smtp://${encodeURIComponent(SMTP_USER)}:${encodeURIComponent(SMTP_PASS)}@127.0.0.1:${port}`,
    commands: () => [...commands],
    received: all,
    async waitFor(match, { nth = 1, timeoutMs = 10_000 } = {}) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = (await all()).filter(match)[nth - 1];
        if (found) return found;
        if (Date.now() > deadline) throw new Error("No matching mail arrived in time.");
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The `token` of the first link in a mail's text under `{publicUrl}/t/{tenant}/{page}`. */
export function linkToken(mail: Pick<ReceivedMail, "text">, page: "email/verify" | "password/reset"): string {
  const match = mail.text.match(new RegExp(`https?://\\S+/t/[a-z0-9-]+/${page}\\?token=([A-Za-z0-9_%-]+)`));
  if (!match?.[1]) throw new Error(`No ${page} link in the mail: ${mail.text}`);
  return decodeURIComponent(match[1]);
}
