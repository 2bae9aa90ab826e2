import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Mailer, MailMessage } from "../../src/core/ports/mail.js";
import type { ReceivedMail } from "../support/smtp-server.js";

export interface MailHarness {
  /** A mailer sending as `from`. */
  mailer(from: string): Mailer;
  /** A mailer whose far side refuses or cannot be reached. */
  brokenMailer(from: string): Mailer;
  /** Every mail received so far, oldest first. */
  received(): Promise<ReceivedMail[]>;
  close(): Promise<void>;
}

const FROM = "Authority <no-reply@auth.example>";
const LINK = "https://auth.example/t/acme/verify?token=Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA";

const message = (overrides: Partial<MailMessage> = {}): MailMessage => ({
  to: "ada@example.com",
  subject: "Confirm your address · Bestätigen",
  text: `Open ${LINK} to confirm.\n`,
  html: `<p>Open <a href="${LINK}">this link</a> to confirm.</p>`,
  kind: "verify_email",
  ...overrides,
});

export function mailerContract(name: string, open: () => Promise<MailHarness>) {
  describe(`Mailer contract: ${name}`, () => {
    let h: MailHarness;
    beforeAll(async () => {
      h = await open();
    }, 30_000);
    afterAll(async () => h?.close());

    const lastReceived = async () => (await h.received()).at(-1);

    it("delivers sender, recipient, subject, the text part and the HTML part", async () => {
      await h.mailer(FROM).send(message());
      const mail = await lastReceived();
      expect(mail?.from).toBe(FROM);
      expect(mail?.to).toBe("ada@example.com");
      expect(mail?.subject).toBe("Confirm your address · Bestätigen");
      expect(mail?.text.trim()).toBe(`Open ${LINK} to confirm.`);
      expect(mail?.html).toContain(`<a href="${LINK}">this link</a>`);
    });

    it("delivers to a recipient with a display name", async () => {
      await h.mailer(FROM).send(message({ to: "Ada Lovelace <ada@example.com>" }));
      expect((await lastReceived())?.to).toBe("Ada Lovelace <ada@example.com>");
    });

    // Header injection: a line break would end the header and start one of the attacker's.
    it.each([
      ["recipient display name", { to: '"Ada\r\nBcc: eve@evil.example" <ada@example.com>' }],
      ["recipient address", { to: "ada@example.com\nBcc: eve@evil.example" }],
      ["subject", { subject: "Hello\r\nBcc: eve@evil.example" }],
    ])("refuses a CR/LF in the %s and sends nothing", async (_what, overrides) => {
      const before = (await h.received()).length;
      await expect(h.mailer(FROM).send(message(overrides))).rejects.toThrow(/line break/);
      expect(await h.received()).toHaveLength(before);
    });

    it("refuses a CR/LF in the sender and sends nothing", async () => {
      const before = (await h.received()).length;
      const mailer = h.mailer("Authority\r\nBcc: eve@evil.example <no-reply@auth.example>");
      await expect(mailer.send(message())).rejects.toThrow(/line break/);
      expect(await h.received()).toHaveLength(before);
    });

    it("throws when the mail is not accepted", async () => {
      await expect(h.brokenMailer(FROM).send(message())).rejects.toThrow();
    });
  });
}
