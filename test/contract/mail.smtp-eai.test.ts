import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSmtpMailer, type SmtpMailer } from "../../src/adapters/mail/smtp.js";
import { MailOutbox } from "../../src/core/mail/outbox.js";
import { PermanentMailError } from "../../src/core/ports/mail.js";
import { recordingLogger, recordingMetrics } from "../support/recorders.js";
import { startSmtpServer, type TestSmtpServer } from "../support/smtp-server.js";

// Internationalized addresses over SMTP against a real server, one that offers
// SMTPUTF8 and one whose EHLO lists only PIPELINING, 8BITMIME and AUTH.
// RFC 6531 §3.4, §3.7.1: a UTF-8 mailbox only after the server advertised
// SMTPUTF8 and with the parameter on MAIL; RFC 5321 §4.1.2: otherwise ASCII;
// RFC 6532 §3: UTF-8 headers only in an SMTPUTF8 transaction.

const FROM = "Authority <no-reply@auth.example>";
const message = (to: string) => ({ to, subject: "Confirm", text: "t", html: "<p>h</p>", kind: "verify_email" });

/** The envelope commands of the server's latest transaction. */
function envelope(server: TestSmtpServer): string[] {
  const commands = server.commands();
  const start = commands.findLastIndex((command) => command.startsWith("MAIL "));
  return commands.slice(start).filter((command) => /^(MAIL|RCPT) /.test(command));
}

const header = (headers: string[] | undefined, name: string) =>
  headers?.filter((line) => line.toLowerCase().startsWith(`${name.toLowerCase()}:`));

describe.each([
  ["offers SMTPUTF8", true],
  ["does not offer SMTPUTF8", false],
])("SMTP to a server that %s", (_what, smtpUtf8) => {
  let server: TestSmtpServer;
  let mailer: SmtpMailer;
  beforeAll(async () => {
    server = await startSmtpServer({ smtpUtf8 });
    mailer = createSmtpMailer(server.url, FROM);
  });
  afterAll(async () => {
    mailer?.close();
    await server?.close();
  });

  it.each([
    ["stored (A-label)", "ada@xn--bcher-kva.example"],
    ["typed (U-label)", "ada@bücher.example"],
  ])("sends an ASCII local part at an IDN domain %s as A-labels, without SMTPUTF8", async (_form, to) => {
    await mailer.send(message(to));
    expect(envelope(server)).toEqual(["MAIL FROM:<no-reply@auth.example>", "RCPT TO:<ada@xn--bcher-kva.example>"]);
    const mail = (await server.received()).at(-1);
    expect(header(mail?.headers, "To")).toEqual(["To: ada@xn--bcher-kva.example"]);
  });

  if (smtpUtf8) {
    it("sends a non-ASCII local part in an SMTPUTF8 transaction", async () => {
      await mailer.send(message("müller@xn--bcher-kva.example"));
      // nodemailer writes the domain of a UTF-8 mailbox in U-labels; either form is valid there (RFC 6531 §3.2).
      expect(envelope(server)).toEqual([
        "MAIL FROM:<no-reply@auth.example> SMTPUTF8",
        "RCPT TO:<müller@bücher.example>",
      ]);
      const mail = (await server.received()).at(-1);
      expect(header(mail?.headers, "To")).toEqual(["To: müller@bücher.example"]);
      expect(mail?.to).toBe("müller@bücher.example");
    });
  } else {
    it("sends nothing for a non-ASCII local part: no MAIL, no RCPT, a permanent smtputf8_unsupported", async () => {
      const before = server.commands().length;
      const received = (await server.received()).length;
      const error = await mailer.send(message("müller@xn--bcher-kva.example")).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PermanentMailError);
      expect(error).toMatchObject({ reason: "smtputf8_unsupported" });
      const sent = server.commands().slice(before);
      expect(sent.filter((command) => /^(MAIL|RCPT|DATA)\b/.test(command))).toEqual([]);
      expect(await server.received()).toHaveLength(received);
    });

    it("gives the mail up at the first attempt with reason smtputf8_unsupported (the outbox does not retry it)", async () => {
      const { logger, lines } = recordingLogger();
      const { metrics, counts } = recordingMetrics();
      const slept: number[] = [];
      const outbox = new MailOutbox({ mailer, logger, metrics, sleep: async (ms) => void slept.push(ms) });
      const before = server.commands().length;
      expect(await outbox.send("tenant", message("müller@xn--bcher-kva.example"))).toBe("failed");
      expect(slept).toEqual([]);
      expect(
        server
          .commands()
          .slice(before)
          .filter((command) => command.startsWith("RCPT ")),
      ).toEqual([]);
      expect(lines.map(({ event, fields }) => [event, fields.attempt ?? fields.attempts, fields.reason])).toEqual([
        ["mail_send_failed", 1, "smtputf8_unsupported"],
        ["mail_undelivered", 1, "smtputf8_unsupported"],
      ]);
      expect(lines[0]?.fields.permanent).toBe(true);
      expect(JSON.stringify(lines)).not.toContain("müller");
      expect(counts).toContainEqual({
        name: "mail_failed_total",
        labels: { kind: "verify_email", reason: "smtputf8_unsupported" },
      });
    });
  }
});
