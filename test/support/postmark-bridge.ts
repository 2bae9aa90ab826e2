// Test stand-in for Postmark's "send a single email" API, written from Postmark's published
// request format (developer docs: API overview, Email API, API error codes). Hosted Postmark
// is unreachable in tests.
//
// - `POST /email`, headers `X-Postmark-Server-Token` (case-insensitive name), `Content-Type:
//   application/json`, `Accept: application/json`; a missing or wrong token answers 401.
// - body fields: From, To (comma-separated, at most 50), Subject, TextBody and/or HtmlBody,
//   optional Tag (at most 1000 characters), MessageStream (default "outbound").
// - answers `{ To, SubmittedAt, MessageID, ErrorCode: 0, Message: "OK" }` with 200, or
//   `{ ErrorCode, Message }`: 10 bad token (401), 402 invalid JSON, 300 invalid request (422).
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface PostmarkMail {
  From: string;
  To: string;
  Subject: string;
  TextBody?: string;
  HtmlBody?: string;
  Tag?: string;
  MessageStream: string;
  MessageID: string;
}

export interface PostmarkBridge {
  url: string;
  token: string;
  /** Every mail accepted, oldest first. */
  readonly accepted: PostmarkMail[];
  /** Requests answered with an error, for tests that check nothing was accepted. */
  readonly refused: { status: number; ErrorCode: number }[];
  close(): Promise<void>;
}

/** An accepted mail in the provider-neutral shape of the Mailer contract. */
export function asReceived(mail: PostmarkMail) {
  return { from: mail.From, to: mail.To, subject: mail.Subject, text: mail.TextBody ?? "", html: mail.HtmlBody ?? "" };
}

/** An address as Postmark takes it: `local@domain` or `Name <local@domain>`, one line. */
const ADDRESS = /^(?:[^<>\r\n]*<[^<>\s@]+@[^<>\s@]+>|[^<>\s@",]+@[^<>\s@",]+)$/;

function invalid(status: number, ErrorCode: number, Message: string) {
  return { status, body: { ErrorCode, Message } };
}

function judge(req: IncomingMessage, raw: string, token: string) {
  const given = req.headers["x-postmark-server-token"];
  if (!given) {
    return invalid(401, 10, "No Account or Server API tokens were supplied in the HTTP headers.");
  }
  if (given !== token) return invalid(401, 10, "Request does not contain a valid Server token.");
  if (!/^application\/json\b/i.test(req.headers["content-type"] ?? "")) {
    return invalid(415, 402, "Received invalid JSON input.");
  }
  let body: Record<string, unknown>;
  try {
    const parsed = JSON.parse(raw) as unknown;
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("not an object");
    body = parsed as Record<string, unknown>;
  } catch {
    return invalid(422, 402, "Received invalid JSON input.");
  }
  const text = (name: string) => (typeof body[name] === "string" ? (body[name] as string) : undefined);
  const from = text("From");
  if (!from || !ADDRESS.test(from.trim())) return invalid(422, 300, `Invalid 'From' address: '${from ?? ""}'.`);
  const to = (text("To") ?? "")
    .split(",")
    .map((a) => a.trim())
    .filter((a) => a !== "");
  if (to.length === 0) return invalid(422, 300, "Zero recipients specified");
  if (to.length > 50) return invalid(422, 300, "Maximum of 50 recipients allowed");
  if (to.some((a) => !ADDRESS.test(a))) return invalid(422, 300, "Error parsing 'To': Illegal email address.");
  if (/[\r\n]/.test(text("Subject") ?? "")) return invalid(422, 300, "Invalid 'Subject'.");
  if (!text("TextBody") && !text("HtmlBody")) {
    return invalid(422, 300, "Provide either email TextBody or HtmlBody or both.");
  }
  if ((text("Tag") ?? "").length > 1000) return invalid(422, 300, "Tag is limited to 1000 characters.");
  const mail: PostmarkMail = {
    From: from,
    To: to.join(", "),
    Subject: text("Subject") ?? "",
    TextBody: text("TextBody"),
    HtmlBody: text("HtmlBody"),
    Tag: text("Tag"),
    MessageStream: text("MessageStream") ?? "outbound",
    MessageID: randomUUID(),
  };
  return { status: 200, body: mail };
}

function send(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
  res.end(JSON.stringify(body));
}

export async function startPostmarkBridge(options: { token: string }): Promise<PostmarkBridge> {
  const accepted: PostmarkMail[] = [];
  const refused: { status: number; ErrorCode: number }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      if (new URL(req.url ?? "/", "http://bridge").pathname !== "/email") {
        return send(res, 404, { ErrorCode: 404, Message: "Not found" });
      }
      if (req.method !== "POST") return send(res, 405, { ErrorCode: 405, Message: "Method not allowed" });
      const verdict = judge(req, Buffer.concat(chunks).toString("utf8"), options.token);
      if (verdict.status !== 200 || !("MessageID" in verdict.body)) {
        const { ErrorCode } = verdict.body as { ErrorCode: number };
        refused.push({ status: verdict.status, ErrorCode });
        return send(res, verdict.status, verdict.body);
      }
      const mail = verdict.body;
      accepted.push(mail);
      send(res, 200, {
        To: mail.To,
        SubmittedAt: new Date().toISOString(),
        MessageID: mail.MessageID,
        ErrorCode: 0,
        Message: "OK",
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    token: options.token,
    accepted,
    refused,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
