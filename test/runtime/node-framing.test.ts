/**
 * What HTTP/1.1 framing refuses on the built Node entry, answered as every refusal is (problem+json
 * with an X-Request-Id, a `request` line, a count) where Node would answer bare or not refuse at
 * all: a Host missing, repeated or empty (RFC 9112 §3.2), an Expect other than 100-continue (RFC
 * 9110 §10.1.1), a transfer coding other than chunked (RFC 9112 §6.1). The parser's own refusals
 * are in node-headers.test.ts.
 */
import { afterAll, describe, expect, it } from "vitest";
import { parseExposition } from "../support/prometheus-text.js";
import { closedWithin, rawClient } from "../support/raw-client.js";
import { cleanupNodes, nodeOnPostgresAndRedis } from "../support/runtime-node.js";

afterAll(cleanupNodes, 30_000);

interface Exchange {
  status: number;
  headers: Record<string, string>;
  body: string;
}

describe("HTTP/1.1 framing on the Node entry", () => {
  const node = nodeOnPostgresAndRedis();

  /** Sends `bytes` on a fresh connection and reads the first answer once the server has closed it. */
  async function exchange(bytes: string): Promise<Exchange> {
    const client = await rawClient(node.server.port);
    client.socket.write(bytes);
    await closedWithin(client, 5_000);
    const [head = "", ...rest] = client.received().split("\r\n\r\n");
    const [statusLine = "", ...fields] = head.split("\r\n");
    const headers: Record<string, string> = {};
    for (const field of fields) {
      const colon = field.indexOf(":");
      headers[field.slice(0, colon).toLowerCase()] = field.slice(colon + 1).trim();
    }
    return { status: Number(statusLine.split(" ")[1]), headers, body: rest.join("\r\n\r\n") };
  }

  const countOf = async (method: string, status: number) => {
    const response = await fetch(`${node.server.base}/metrics`, { signal: AbortSignal.timeout(5_000) });
    const labels = { method, route: "unmatched", status: String(status) };
    return parseExposition(await response.text()).value("authority_http_requests_total", labels);
  };

  const linesOf = (requestId: string) =>
    node.server
      .output()
      .split("\n")
      .filter((line) => line.includes(`"request_id":"${requestId}"`))
      .map((line) => JSON.parse(line) as Record<string, unknown>);

  /** A refusal as the app's: problem+json, X-Request-Id, the connection closed, one `request` line. */
  async function expectRefused(answer: Exchange, method: string, status: number, code: string): Promise<void> {
    expect(answer.status).toBe(status);
    expect(answer.headers["content-type"]).toBe("application/problem+json");
    expect(answer.headers.connection).toBe("close");
    expect(JSON.parse(answer.body)).toMatchObject({ status, code, type: `urn:authority:problem:${code}` });
    const requestId = answer.headers["x-request-id"] as string;
    expect(requestId).toMatch(/^[A-Za-z0-9._-]{1,128}$/);
    await expect
      .poll(() => linesOf(requestId), { timeout: 2_000 })
      .toEqual([expect.objectContaining({ event: "request", method, route: "unmatched", status, refused: code })]);
  }

  it("a Host missing (HTTP/1.1), repeated or empty is 400 (RFC 9112 §3.2)", async () => {
    const before = await countOf("GET", 400);
    for (const hosts of ["", "Host: auth.node.test\r\nHost: other.test\r\n", "Host:\r\n", "Host: \r\n"]) {
      const answer = await exchange(`GET /healthz HTTP/1.1\r\n${hosts}Connection: close\r\n\r\n`);
      await expectRefused(answer, "GET", 400, "malformed_request");
    }
    expect(await countOf("GET", 400)).toBe(before + 4);
    // A well-formed X-Request-Id is echoed, as on every answer (API.md).
    const echoed = await exchange("GET /healthz HTTP/1.1\r\nX-Request-Id: no-host-1\r\nConnection: close\r\n\r\n");
    expect(echoed.headers["x-request-id"]).toBe("no-host-1");
    // HTTP/1.0 needs no Host; one Host, in any case, is served.
    expect((await exchange("GET /healthz HTTP/1.0\r\n\r\n")).status).toBe(200);
    expect((await exchange("GET /healthz HTTP/1.1\r\nhOsT: a.test\r\nConnection: close\r\n\r\n")).status).toBe(200);
  });

  it("an Expect other than 100-continue is 417 (RFC 9110 §10.1.1); 100-continue is met", async () => {
    const before = await countOf("GET", 417);
    const answer = await exchange("GET /healthz HTTP/1.1\r\nHost: a.test\r\nExpect: foo\r\n\r\n");
    await expectRefused(answer, "GET", 417, "expectation_failed");
    expect(await countOf("GET", 417)).toBe(before + 1);
    const client = await rawClient(node.server.port);
    client.socket.write(
      "POST /healthz HTTP/1.1\r\nHost: a.test\r\nExpect: 100-continue\r\nContent-Length: 2\r\nConnection: close\r\n\r\n",
    );
    await expect.poll(() => client.received()).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\n/);
    client.socket.write("{}");
    await closedWithin(client, 5_000);
    expect(client.received()).toMatch(/\r\n\r\nHTTP\/1\.1 405 /);
  });

  it("a transfer coding other than chunked is 501 (RFC 9112 §6.1), where Node would read the body as chunked", async () => {
    const before = await countOf("POST", 501);
    const codings = ["gzip, chunked", "identity, chunked", "gzip\r\nTransfer-Encoding: chunked", "x-custom ,chunked"];
    for (const coding of codings) {
      const answer = await exchange(
        `POST /v1/admin/tenants HTTP/1.1\r\nHost: a.test\r\nContent-Type: application/json\r\n` +
          `Transfer-Encoding: ${coding}\r\n\r\n2\r\n{}\r\n0\r\n\r\n`,
      );
      await expectRefused(answer, "POST", 501, "unsupported_transfer_coding");
    }
    expect(await countOf("POST", 501)).toBe(before + codings.length);
    // chunked alone, in any case, is read: the route answers (401 without credentials), not the framing.
    const chunked = await exchange(
      "POST /v1/admin/tenants HTTP/1.1\r\nHost: a.test\r\nContent-Type: application/json\r\n" +
        "Transfer-Encoding: Chunked\r\nConnection: close\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
    );
    expect(chunked.status).toBe(401);
  });
});
