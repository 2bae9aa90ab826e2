import { afterEach, describe, expect, it, vi } from "vitest";
import { createLogMailer } from "../../src/adapters/mail/log-mailer.js";
import { createConsoleLogger } from "../../src/adapters/telemetry/console-logger.js";

// Development's log mailer is how a developer follows a verification or reset link, so the
// redacting logger must leave its `token=` intact (the entries refuse this mailer in production).
/** The lines the console logger writes (it writes info through console.log). */
function consoleLines(): string[] {
  const lines: string[] = [];
  vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
  return lines;
}

describe("log mailer", () => {
  afterEach(() => vi.restoreAllMocks());
  const link = "https://auth.example/t/acme/reset?token=0dMyvW1fQ2bSg4rP7x9KZ_a-3nLcEuTj5hYiVoBqXwA";

  it("writes the whole text part, link and token included, through the redacting logger", async () => {
    const lines = consoleLines();
    const logger = createConsoleLogger();
    await createLogMailer(logger, "Authority <no-reply@auth.example>").send({
      to: "ada@example.com",
      subject: "Reset your password",
      text: `Hello,\n\nOpen ${link} within 30 minutes.\n`,
      html: `<a href="${link}">Reset</a>`,
      kind: "password_reset",
    });
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0] as string) as Record<string, unknown>;
    expect(entry).toMatchObject({
      event: "mail_logged",
      kind: "password_reset",
      from: "Authority <no-reply@auth.example>",
      to: "ada@example.com",
      subject: "Reset your password",
      text: `Hello,\n\nOpen ${link} within 30 minutes.\n`,
    });
  });

  it("refuses a line break in a header like every mailer", async () => {
    const lines = consoleLines();
    const mailer = createLogMailer(createConsoleLogger(), "a@b.example");
    const mail = { to: "ada@example.com\r\nBcc: eve@evil.example", subject: "s", text: "t", html: "h", kind: "k" };
    await expect(mailer.send(mail)).rejects.toThrow(/line break/);
    expect(lines).toEqual([]);
  });
});
