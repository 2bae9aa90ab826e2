import type { Server } from "node:http";
import type { Socket } from "node:net";
import { AppError } from "../core/errors.js";
import type { Random } from "../core/ports/clock.js";
import { problemResponse } from "../http/problem.js";

/** What Node's HTTP parser refuses before the app sees a request, as Node itself answers each. */
const REFUSALS: Record<string, { status: number; reason: string; code: string; detail: string }> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    reason: "Request Header Fields Too Large",
    code: "headers_too_large",
    detail: "The request's headers are larger than the server accepts.",
  },
  HPE_CHUNK_EXTENSIONS_OVERFLOW: {
    status: 413,
    reason: "Payload Too Large",
    code: "payload_too_large",
    detail: "The request's chunk extensions are larger than the server accepts.",
  },
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    reason: "Request Timeout",
    code: "request_timeout",
    detail: "The request did not arrive within the server's time limit.",
  },
};
const MALFORMED = {
  status: 400,
  reason: "Bad Request",
  code: "malformed_request",
  detail: "The request is not valid HTTP.",
};

/**
 * Answers what the parser refuses (headers too large, malformed HTTP, a
 * request too slow) as every response is answered (API.md): problem+json
 * with an X-Request-Id, then closes the connection, as Node's default does.
 */
export function answerClientErrors(server: Server, random: Random): void {
  server.on("clientError", (error: NodeJS.ErrnoException, socket: Socket) => {
    // Node's own condition: nothing to say on a reset or closed socket, or after a response began.
    const started = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent;
    if (error.code === "ECONNRESET" || !socket.writable || started) {
      socket.destroy();
      return;
    }
    const refusal = REFUSALS[error.code ?? ""] ?? MALFORMED;
    const body = JSON.stringify({
      type: `urn:authority:problem:${refusal.code}`,
      title: refusal.reason,
      status: refusal.status,
      detail: refusal.detail,
      code: refusal.code,
    });
    socket.end(
      `HTTP/1.1 ${refusal.status} ${refusal.reason}\r\n` +
        "Content-Type: application/problem+json\r\n" +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        `X-Request-Id: ${random.uuid()}\r\n` +
        "Cache-Control: no-store\r\n" +
        "Connection: close\r\n\r\n" +
        body,
    );
  });
}

/**
 * What @hono/node-server refuses before the app sees a request (a backslash
 * in the path, a Host that is no host): problem+json with an X-Request-Id,
 * as every answer, instead of its bare 400.
 */
export function answerRequestErrors(random: Random): (error: unknown) => Response {
  return (error) => {
    const refused =
      error instanceof Error && error.name === "RequestError"
        ? new AppError(400, MALFORMED.code, MALFORMED.reason, `The request is not valid: ${error.message}.`)
        : new AppError(500, "internal_error", "Internal error", "The server failed to handle the request.");
    const response = problemResponse(refused);
    response.headers.set("X-Request-Id", random.uuid());
    response.headers.set("Cache-Control", "no-store");
    response.headers.set("X-Content-Type-Options", "nosniff");
    return response;
  };
}
