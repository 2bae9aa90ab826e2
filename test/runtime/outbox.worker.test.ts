/**
 * The outbox inside workerd, where each request's mail is sent within its own
 * waitUntil: a mail queued behind another request's mail is sent, by its own
 * request, once the first is done. A request whose waitUntil only awaited a
 * promise the other request settles would be cancelled as hung meanwhile
 * ("A promise was resolved … from a different request context …"), its mail
 * never sent.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type BundledWorker, startBundledWorker } from "../support/bundled-worker.js";

const WORKER_SOURCE = fileURLToPath(new URL("./outbox-worker.ts", import.meta.url));
/** How long the stand-in holds its answer to the first mail, so the second queues behind it. */
const SLOW_MS = 500;

let worker: BundledWorker;
const received: string[] = [];
/** A Postmark stand-in that answers the mail tagged `slow` late. */
const provider = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    const { Tag } = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { Tag: string };
    setTimeout(
      () => {
        received.push(Tag);
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ ErrorCode: 0, Message: "OK", MessageID: Tag }));
      },
      Tag === "slow" ? SLOW_MS : 0,
    );
  });
});

beforeAll(async () => {
  await new Promise<void>((resolve) => provider.listen(0, "127.0.0.1", resolve));
  worker = await startBundledWorker(WORKER_SOURCE);
}, 120_000);

afterAll(async () => {
  await worker?.close();
  await new Promise((resolve) => provider.close(resolve));
});

it("sends a mail queued behind another request's mail, in its own request", async () => {
  const apiUrl = `http://127.0.0.1:${(provider.address() as AddressInfo).port}`;
  const message = (kind: string) => ({ to: "ada@example.com", subject: "s", text: "t", html: "<p>h</p>", kind });
  await worker.post("/queue", { apiUrl, message: message("slow") });
  await worker.post("/queue", { apiUrl, message: message("queued") });
  await expect
    .poll(async () => (await worker.post<{ outcomes: [string, string][] }>("/outcomes")).outcomes, { timeout: 5_000 })
    .toEqual([
      ["slow", "sent"],
      ["queued", "sent"],
    ]);
  expect(received).toEqual(["slow", "queued"]);
});
