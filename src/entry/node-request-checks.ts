import type { IncomingMessage, ServerResponse } from "node:http";
import { requestIdFor } from "../http/middleware/request-id.js";
import { MALFORMED, problemBody, type Refusal, type RefusalDeps, recordRefusal } from "./node-client-errors.js";

type Listener = (incoming: IncomingMessage, outgoing: ServerResponse) => unknown;

const EXPECTATION_FAILED: Refusal = {
  status: 417,
  reason: "Expectation Failed",
  code: "expectation_failed",
  detail: "The server meets no expectation but 100-continue.",
};
const TRANSFER_CODING: Refusal = {
  status: 501,
  reason: "Not Implemented",
  code: "unsupported_transfer_coding",
  detail: "The server understands no transfer coding but chunked.",
};

/**
 * RFC 9112 §3.2: 400 to an HTTP/1.1 request without Host, and to any with more
 * than one Host line or an invalid one; an http URI's host is never empty
 * (RFC 9110 §4.2.1). Node keeps only the first of repeated Host lines in
 * `headers`, so its raw lines are counted.
 */
function hostRefusal(incoming: IncomingMessage): Refusal | undefined {
  const raw = incoming.rawHeaders;
  let hosts = 0;
  let empty = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.length !== 4 || name.toLowerCase() !== "host") continue;
    hosts++;
    if (raw[i + 1] === "") empty = true;
  }
  const http11 = incoming.httpVersionMajor === 1 && incoming.httpVersionMinor >= 1;
  if (hosts > 1) return { ...MALFORMED, detail: "The request has more than one Host header (RFC 9112 §3.2)." };
  if (hosts === 0 && http11)
    return { ...MALFORMED, detail: "An HTTP/1.1 request needs a Host header (RFC 9112 §3.2)." };
  if (empty) return { ...MALFORMED, detail: "The request's Host header is empty (RFC 9110 §4.2.1)." };
  return undefined;
}

/**
 * RFC 9112 §6.1: a transfer coding the server does not understand is answered
 * 501. Node frames a body whose last coding is chunked as chunked alone (and
 * refuses other orders itself), so `gzip, chunked` would be read as plain text.
 */
function transferCodingRefusal(incoming: IncomingMessage): Refusal | undefined {
  const codings = incoming.headers["transfer-encoding"];
  if (codings === undefined) return undefined;
  for (const coding of codings.split(",")) {
    const name = coding.trim().toLowerCase();
    if (name !== "chunked" && name !== "") return TRANSFER_CODING;
  }
  return undefined;
}

/** Answers as the app answers a refusal, then closes: the request's body, if any, is not read. */
function refuse(deps: RefusalDeps, incoming: IncomingMessage, outgoing: ServerResponse, refusal: Refusal): void {
  const requestId = requestIdFor(incoming.headers["x-request-id"] as string | undefined, deps.random);
  const body = problemBody(refusal);
  outgoing.writeHead(refusal.status, refusal.reason, {
    "Content-Type": "application/problem+json",
    "Content-Length": Buffer.byteLength(body),
    "X-Request-Id": requestId,
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    Connection: "close",
  });
  outgoing.end(body);
  recordRefusal(deps, {
    requestId,
    method: incoming.method,
    status: refusal.status,
    code: refusal.code,
    peer: incoming.socket.remoteAddress,
  });
}

/**
 * What HTTP/1.1 refuses and Node either lets through (a repeated or empty
 * Host, an unknown transfer coding) or answers bare (no Host, an unmet
 * Expect): problem+json with an X-Request-Id, logged and counted as the
 * app's refusals. `wrap` goes around the request listener (the server must be
 * created with `requireHostHeader: false`); `expectationFailed` listens to
 * `checkExpectation`, which Node emits instead of `request` for an Expect
 * other than 100-continue on HTTP/1.1 (RFC 9110 §10.1.1).
 */
export function checkRequests(deps: RefusalDeps): {
  wrap: (listener: Listener) => Listener;
  expectationFailed: Listener;
} {
  return {
    wrap: (listener) => (incoming, outgoing) => {
      const refusal = hostRefusal(incoming) ?? transferCodingRefusal(incoming);
      if (refusal) return refuse(deps, incoming, outgoing, refusal);
      return listener(incoming, outgoing);
    },
    expectationFailed: (incoming, outgoing) => refuse(deps, incoming, outgoing, EXPECTATION_FAILED),
  };
}
