/**
 * A tiny Worker around one isolate-wide MailOutbox (one send at a time) and
 * the Postmark mailer, for test/runtime/outbox.worker.test.ts. Each request
 * queues its mail in its own waitUntil, as the account routes do.
 *
 *   POST /queue     {apiUrl, message}  -> {queued: true}
 *   POST /outcomes                     -> {outcomes: [kind, outcome][]}
 */
import { createPostmarkMailer } from "../../src/adapters/mail/postmark.js";
import { silentLogger } from "../../src/adapters/telemetry/console-logger.js";
import { MailOutbox } from "../../src/core/mail/outbox.js";
import type { MailMessage } from "../../src/core/ports/mail.js";
import { noopMetrics } from "../../src/core/ports/telemetry.js";

let outbox: MailOutbox | undefined;
const outcomes: [string, string][] = [];

export default {
  async fetch(request: Request, _env: unknown, ctx: ExecutionContext): Promise<Response> {
    if (new URL(request.url).pathname === "/outcomes") return Response.json({ outcomes });
    const { apiUrl, message } = (await request.json()) as { apiUrl: string; message: MailMessage };
    const mailer = createPostmarkMailer({ apiUrl, serverToken: "token", from: "a@auth.example" });
    outbox ??= new MailOutbox({ mailer, logger: silentLogger, metrics: noopMetrics }, { concurrency: 1 });
    ctx.waitUntil(outbox.send("tenant", message).then((outcome) => void outcomes.push([message.kind, outcome])));
    return Response.json({ queued: true });
  },
};
