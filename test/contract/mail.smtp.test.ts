import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSmtpMailer, type SmtpMailer } from "../../src/adapters/mail/smtp.js";
import { PermanentMailError } from "../../src/core/ports/mail.js";
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

describe("SMTP replies: permanent or not", () => {
  let server: Awaited<ReturnType<typeof startSmtpServer>>;
  let mailer: SmtpMailer;
  beforeAll(async () => {
    server = await startSmtpServer();
    mailer = createSmtpMailer(server.url, "a@auth.example");
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
