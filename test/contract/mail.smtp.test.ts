import type { AddressInfo } from "node:net";
import { type AddressObject, simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSmtpMailer, type SmtpMailer } from "../../src/adapters/mail/smtp.js";
import { PermanentMailError } from "../../src/core/ports/mail.js";
import { type MailHarness, mailerContract, type ReceivedMail } from "./mail.contract.js";

const USER = "mailer";
const PASS = "s3cret pass/word";

/** `Name <address>` or `address`, whatever quoting the header used. */
function addressText(header: AddressObject | AddressObject[] | undefined): string {
  const first = (Array.isArray(header) ? header[0] : header)?.value[0];
  if (!first) return "";
  return first.name ? `${first.name} <${first.address}>` : (first.address ?? "");
}

/** Recipients the server refuses, with its reply code: for good (5xx) or for now (4xx). */
const REFUSED: Record<string, number> = { "gone@example.com": 550, "busy@example.com": 451 };

/** A real SMTP server in this process; it accepts only the credentials above and parses each mail it receives. */
async function startSmtpServer() {
  const received: ReceivedMail[] = [];
  const parsing: Promise<void>[] = [];
  const server = new SMTPServer({
    // No certificate here: plain SMTP with AUTH allowed over it (loopback only).
    disabledCommands: ["STARTTLS"],
    allowInsecureAuth: true,
    onAuth(auth, _session, callback) {
      if (auth.username === USER && auth.password === PASS) return callback(null, { user: USER });
      callback(new Error("Invalid username or password"));
    },
    onRcptTo(address, _session, callback) {
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
        });
      });
      parsing.push(parsed);
      parsed.then(() => callback(), callback);
    },
    logger: false,
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    port,
    received: async () => {
      await Promise.all(parsing);
      return received;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

mailerContract("SMTP (nodemailer) to a real SMTP server", async (): Promise<MailHarness> => {
  const server = await startSmtpServer();
  const mailers: SmtpMailer[] = [];
  const open = (url: string, from: string) => {
    const mailer = createSmtpMailer(url, from);
    mailers.push(mailer);
    return mailer;
  };
  const auth = `${encodeURIComponent(USER)}:${encodeURIComponent(PASS)}`;
  return {
    mailer: (from) => open(`smtp://${auth}@127.0.0.1:${server.port}`, from),
    // Wrong password: the server refuses the login, so nothing is sent.
    brokenMailer: (from) => open(`smtp://${USER}:wrong@127.0.0.1:${server.port}`, from),
    received: server.received,
    close: async () => {
      for (const mailer of mailers) mailer.close();
      await server.close();
    },
  };
});

describe("SMTP replies: permanent or not", () => {
  let server: Awaited<ReturnType<typeof startSmtpServer>>;
  let mailer: SmtpMailer;
  beforeAll(async () => {
    server = await startSmtpServer();
    mailer = createSmtpMailer(`smtp://${USER}:${encodeURIComponent(PASS)}@127.0.0.1:${server.port}`, "a@auth.example");
  });
  afterAll(async () => {
    mailer?.close();
    await server?.close();
  });
  const message = (to: string) => ({ to, subject: "s", text: "t", html: "<p>h</p>", kind: "verify_email" });

  it("throws a PermanentMailError for a 5xx reply (the outbox does not retry it)", async () => {
    const error = await mailer.send(message("gone@example.com")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentMailError);
    expect((error as Error).cause).toMatchObject({ responseCode: 550 });
  });

  it("throws an ordinary error for a 4xx reply (retried)", async () => {
    const error = await mailer.send(message("busy@example.com")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(PermanentMailError);
    expect(error).toMatchObject({ responseCode: 451 });
  });

  it("throws an ordinary error when the server cannot be reached (retried)", async () => {
    const closed = createSmtpMailer("smtp://127.0.0.1:1", "a@auth.example");
    const error = await closed.send(message("ada@example.com")).catch((e: unknown) => e);
    closed.close();
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(PermanentMailError);
  });
});
