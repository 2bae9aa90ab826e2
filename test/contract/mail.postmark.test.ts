import { createPostmarkMailer } from "../../src/adapters/mail/postmark.js";
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
