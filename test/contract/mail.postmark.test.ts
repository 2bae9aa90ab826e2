import { describe, expect, it } from "vitest";
import { createPostmarkMailer } from "../../src/adapters/mail/postmark.js";
import { PermanentMailError } from "../../src/core/ports/mail.js";
import { asReceived, startPostmarkBridge } from "../support/postmark-bridge.js";
import { type MailHarness, mailerContract } from "./mail.contract.js";

mailerContract("Postmark HTTP API (local stand-in)", async (): Promise<MailHarness> => {
  const bridge = await startPostmarkBridge({ token: crypto.randomUUID() });
  return {
    mailer: (from) => createPostmarkMailer({ serverToken: bridge.token, from, apiUrl: bridge.url }),
    brokenMailer: (from) => createPostmarkMailer({ serverToken: "not-the-token", from, apiUrl: bridge.url }),
    received: async () => bridge.accepted.map(asReceived),
    close: bridge.close,
  };
});

describe("Postmark answers: permanent or not", () => {
  const message = { to: "ada@example.com", subject: "s", text: "t", html: "<p>h</p>", kind: "verify_email" };
  /** A mailer whose every request gets this answer. */
  const answering = (status: number, body: unknown) =>
    createPostmarkMailer({
      serverToken: "token",
      from: "a@auth.example",
      fetch: async () => Response.json(body, { status }),
    });

  it("throws a PermanentMailError for a rejection (wrong token, invalid or inactive recipient)", async () => {
    const bridge = await startPostmarkBridge({ token: crypto.randomUUID() });
    try {
      const wrongToken = createPostmarkMailer({
        serverToken: "not-the-token",
        from: "a@auth.example",
        apiUrl: bridge.url,
      });
      await expect(wrongToken.send(message)).rejects.toBeInstanceOf(PermanentMailError);
    } finally {
      await bridge.close();
    }
    const inactive = answering(422, {
      ErrorCode: 406,
      Message: "You tried to send to recipient(s) that have been marked as inactive.",
    });
    await expect(inactive.send(message)).rejects.toThrow(/HTTP 422, ErrorCode 406/);
    await expect(inactive.send(message)).rejects.toBeInstanceOf(PermanentMailError);
  });

  it("posts to /email under the configured base, its path kept (a relay)", async () => {
    const posted: string[] = [];
    for (const apiUrl of [undefined, "https://relay.example/postmark", "https://relay.example/postmark/"]) {
      const mailer = createPostmarkMailer({
        serverToken: "token",
        from: "a@auth.example",
        ...(apiUrl ? { apiUrl } : {}),
        fetch: async (input) => {
          posted.push(String(input));
          return Response.json({ ErrorCode: 0, MessageID: "m" });
        },
      });
      await mailer.send(message);
    }
    expect(posted).toEqual([
      "https://api.postmarkapp.com/email",
      "https://relay.example/postmark/email",
      "https://relay.example/postmark/email",
    ]);
  });

  it.each([
    [429, { ErrorCode: 429, Message: "Rate limit exceeded" }],
    [500, { ErrorCode: 0, Message: "Internal Server Error" }],
    [503, "unavailable"],
  ])("throws an ordinary error for HTTP %i (retried)", async (status, body) => {
    const error = await answering(status, body)
      .send(message)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(PermanentMailError);
  });

  it("sends an ASCII local part at an IDN domain in A-labels, sender and recipient, as over SMTP", async () => {
    const bodies: { From?: string; To?: string }[] = [];
    const mailer = createPostmarkMailer({
      serverToken: "token",
      from: "Bücher <no-reply@bücher.example>",
      fetch: async (_input, init) => {
        bodies.push(JSON.parse(String(init?.body)));
        return Response.json({ ErrorCode: 0, MessageID: "m" });
      },
    });
    await mailer.send({ ...message, to: "ada@bücher.example" });
    await mailer.send({ ...message, to: "müller@xn--bcher-kva.example" });
    expect(bodies.map(({ From, To }) => [From, To])).toEqual([
      ["Bücher <no-reply@xn--bcher-kva.example>", "ada@xn--bcher-kva.example"],
      // A non-ASCII local part has no ASCII form: as stored, for Postmark to take or refuse.
      ["Bücher <no-reply@xn--bcher-kva.example>", "müller@xn--bcher-kva.example"],
    ]);
  });
});
