/**
 * A tiny Worker around the Postmark mailer, for test/runtime/mail.worker.test.ts:
 * bundled by wrangler and run inside workerd by Miniflare, so the request it
 * makes goes out through workerd's own fetch.
 *
 *   POST /send  {apiUrl, serverToken, from, message}  -> {sent: true} | {error: string}
 */
import { createPostmarkMailer } from "../../src/adapters/mail/postmark.js";
import type { MailMessage } from "../../src/core/ports/mail.js";

interface SendRequest {
  apiUrl: string;
  serverToken: string;
  from: string;
  message: MailMessage;
}

export default {
  async fetch(request: Request): Promise<Response> {
    const { apiUrl, serverToken, from, message } = (await request.json()) as SendRequest;
    try {
      await createPostmarkMailer({ apiUrl, serverToken, from }).send(message);
      return Response.json({ sent: true });
    } catch (error) {
      return Response.json({ error: error instanceof Error ? error.message : String(error) });
    }
  },
};
