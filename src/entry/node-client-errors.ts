import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { AppError } from "../core/errors.js";
import type { Random } from "../core/ports/clock.js";
import type { Logger } from "../core/ports/logger.js";
import type { Metrics } from "../core/ports/telemetry.js";
import { problemResponse } from "../http/problem.js";

export interface RefusalDeps {
  random: Random;
  logger: Logger;
  metrics: Metrics;
}

/**
 * The `request` line and count of a request refused before the app saw it
 * (docs/operations.md): the app's own line and `http_requests_total` are
 * written by its outermost layer, which such a request never reaches. Its
 * route is `unmatched`; its method is known only to the adapter's refusals
 * (Node's parser refuses before it hands one out); the duration is not (Node does not say when the request began), so
 * it has no `duration_ms` and no place in the duration histogram. The
 * socket's peer stands in for the client address (a proxy's, behind one:
 * X-Forwarded-For was not read).
 */
export function recordRefusal(
  deps: RefusalDeps,
  line: { requestId: string; method: string | undefined; status: number; code: string; peer: string | undefined },
): void {
  const method = line.method ?? "unknown";
  deps.metrics.increment("http_requests_total", { method, route: "unmatched", status: String(line.status) });
  deps.logger[line.status >= 500 ? "error" : "info"]("request", {
    request_id: line.requestId,
    method,
    route: "unmatched",
    status: line.status,
    refused: line.code,
    remote_address: line.peer,
  });
}

/** A refusal's status line and problem (RFC 9457). */
export interface Refusal {
  status: number;
  reason: string;
  code: string;
  detail: string;
}

/** The problem+json body of a refusal, as problemResponse writes the app's. */
export const problemBody = (refusal: Refusal) =>
  JSON.stringify({
    type: `urn:authority:problem:${refusal.code}`,
    title: refusal.reason,
    status: refusal.status,
    detail: refusal.detail,
    code: refusal.code,
  });

/** What Node's HTTP parser refuses before the app sees a request, as Node itself answers each. */
const REFUSALS: Record<string, Refusal> = {
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
export const MALFORMED: Refusal = {
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
export function answerClientErrors(server: Server, deps: RefusalDeps): void {
  server.on("clientError", (error: NodeJS.ErrnoException, socket: Socket) => {
    // Node's own condition: nothing to say on a reset or closed socket, or after a response began.
    const started = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent;
    if (error.code === "ECONNRESET" || !socket.writable || started) {
      socket.destroy();
      return;
    }
    const refusal = REFUSALS[error.code ?? ""] ?? MALFORMED;
    const requestId = deps.random.uuid();
    const body = problemBody(refusal);
    socket.end(
      `HTTP/1.1 ${refusal.status} ${refusal.reason}\r\n` +
        "Content-Type: application/problem+json\r\n" +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        `X-Request-Id: ${requestId}\r\n` +
        "Cache-Control: no-store\r\n" +
        "Connection: close\r\n\r\n" +
        body,
    );
    // A request whose headers had arrived (its body was too slow) is the app's already: its
    // handler fails reading the body and the app writes that request's line and count.
    const parsed = (socket as Socket & { parser?: { incoming?: IncomingMessage | null } }).parser?.incoming;
    if (parsed) return;
    recordRefusal(deps, {
      requestId,
      method: undefined,
      status: refusal.status,
      code: refusal.code,
      peer: socket.remoteAddress,
    });
  });
}

type Listener = (incoming: IncomingMessage, outgoing: ServerResponse) => unknown;

/**
 * What @hono/node-server refuses before the app sees a request (a backslash
 * in the path, a Host that is no host): problem+json with an X-Request-Id,
 * as every answer, instead of its bare 400, with its request line and count.
 * `wrap` goes around the adapter's listener: the error handler is handed
 * only the error, and the adapter calls it synchronously within the
 * listener's call when it refuses the request, so the request is the one
 * being handed to the listener then.
 */
export function answerRequestErrors(deps: RefusalDeps): {
  errorHandler: (error: unknown) => Response;
  wrap: (listener: Listener) => Listener;
} {
  let current: IncomingMessage | undefined;
  return {
    errorHandler(error) {
      const refused =
        error instanceof Error && error.name === "RequestError"
          ? new AppError(400, MALFORMED.code, MALFORMED.reason, `The request is not valid: ${error.message}.`)
          : new AppError(500, "internal_error", "Internal error", "The server failed to handle the request.");
      const requestId = deps.random.uuid();
      const response = problemResponse(refused);
      response.headers.set("X-Request-Id", requestId);
      response.headers.set("Cache-Control", "no-store");
      response.headers.set("X-Content-Type-Options", "nosniff");
      recordRefusal(deps, {
        requestId,
        method: current?.method,
        status: refused.status,
        code: refused.code,
        peer: current?.socket.remoteAddress,
      });
      return response;
    },
    wrap: (listener) => (incoming, outgoing) => {
      current = incoming;
      try {
        return listener(incoming, outgoing);
      } finally {
        current = undefined;
      }
    },
  };
}
