import { createSmtpMailer, type SmtpMailer } from "../../src/adapters/mail/smtp.js";
import { SMTP_USER, startSmtpServer } from "../support/smtp-server.js";
import { type MailHarness, mailerContract } from "./mail.contract.js";

mailerContract("SMTP (nodemailer) to a real SMTP server", async (): Promise<MailHarness> => {
  const server = await startSmtpServer();
  const mailers: SmtpMailer[] = [];
  const open = (url: string, from: string) => {
    const mailer = createSmtpMailer(url, from);
    mailers.push(mailer);
    return mailer;
  };
  return {
    mailer: (from) => open(server.url, from),
    // Wrong password: the server refuses the login, so nothing is sent.
    brokenMailer: (from) => open(`smtp://${SMTP_USER}:wrong@127.0.0.1:${server.port}`, from),
    received: server.received,
    close: async () => {
      for (const mailer of mailers) mailer.close();
      await server.close();
    },
  };
});
