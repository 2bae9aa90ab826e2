import type { AddressInfo } from "node:net";
import { type AddressObject, simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";
import { createSmtpMailer, type SmtpMailer } from "../../src/adapters/mail/smtp.js";
import { type MailHarness, mailerContract, type ReceivedMail } from "./mail.contract.js";

const USER = "mailer";
const PASS = "s3cret pass/word";

/** `Name <address>` or `address`, whatever quoting the header used. */
function addressText(header: AddressObject | AddressObject[] | undefined): string {
  const first = (Array.isArray(header) ? header[0] : header)?.value[0];
  if (!first) return "";
  return first.name ? `${first.name} <${first.address}>` : (first.address ?? "");
}

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
