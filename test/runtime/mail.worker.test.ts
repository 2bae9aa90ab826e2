/**
 * The Postmark mailer inside workerd (the runtime it is for): the same
 * contract as on Node, against the same local Postmark stand-in.
 */
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll } from "vitest";
import type { Mailer } from "../../src/core/ports/mail.js";
import { type MailHarness, mailerContract } from "../contract/mail.contract.js";
import { type BundledWorker, startBundledWorker } from "../support/bundled-worker.js";
import { asReceived, startPostmarkBridge } from "../support/postmark-bridge.js";

const WORKER_SOURCE = fileURLToPath(new URL("./postmark-worker.ts", import.meta.url));

let worker: BundledWorker;

beforeAll(async () => {
  worker = await startBundledWorker(WORKER_SOURCE);
}, 120_000);

afterAll(async () => {
  await worker?.close();
});

mailerContract("Postmark HTTP API inside workerd (local stand-in)", async (): Promise<MailHarness> => {
  const bridge = await startPostmarkBridge({ token: crypto.randomUUID() });
  /** A Mailer whose send runs in workerd; the Worker's error message is thrown here. */
  const inWorkerd = (from: string, serverToken: string): Mailer => ({
    async send(message) {
      const answer = await worker.post<{ sent?: true; error?: string }>("/send", {
        apiUrl: bridge.url,
        serverToken,
        from,
        message,
      });
      if (answer.error !== undefined) throw new Error(answer.error);
    },
  });
  return {
    mailer: (from) => inWorkerd(from, bridge.token),
    brokenMailer: (from) => inWorkerd(from, "not-the-token"),
    received: async () => bridge.accepted.map(asReceived),
    close: bridge.close,
  };
});
