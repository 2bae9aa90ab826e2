import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createPinoLogger } from "../../src/adapters/telemetry/pino-logger.js";
import { redactFields } from "../../src/core/logging/redaction.js";
import { requestLineMembers } from "../../src/core/logging/request-line.js";
import type { RequestLine } from "../../src/core/ports/logger.js";
import { requestIdFor } from "../../src/http/middleware/request-id.js";
import { withRequestScope } from "../../src/http/request-scope.js";

const JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLWJ5dGVzLWhlcmU";

const LINE: RequestLine = {
  request_id: "req-1.a_b",
  trace_id: "4bf92f3577b34da6a3ce929d0e0e4736",
  method: "POST",
  route: "/t/:tenant/v1/token/refresh",
  status: 200,
  duration_ms: 1.25,
  tenant: "acme",
  user_id: "b9c1f6a4-0000-4000-8000-000000000000",
  session_id: "0f1e2d3c-0000-4000-8000-000000000000",
};

const parsed = (line: RequestLine) => JSON.parse(`{${requestLineMembers(line)}}`) as Record<string, unknown>;

/** A logger writing into an array, through the production chain's scope wrapper. */
function capture(): { lines: Record<string, unknown>[]; logger: ReturnType<typeof createPinoLogger> } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: createPinoLogger("info", sink as never) };
}

describe("the request line", () => {
  it("is what the general redaction writes for the same fields: no name is a secret name", () => {
    expect(parsed(LINE)).toEqual(redactFields(LINE));
    expect(Object.keys(parsed(LINE))).toEqual(Object.keys(LINE));
  });

  it("still cuts credential shapes and query parameters out of its strings, like redactFields", () => {
    const hostile: RequestLine = {
      ...LINE,
      method: `Bearer ${JWT}`,
      route: `/x?token=${JWT}`,
      tenant: `a\nparams: ${JWT}`,
      user_id: `"quoted" ${JWT}`,
      session_id: "x".repeat(5000),
    };
    const out = parsed(hostile);
    expect(out).toEqual(redactFields(hostile));
    expect(JSON.stringify(out)).not.toContain("eyJ");
  });

  it("leaves out undefined fields and writes non-finite numbers as JSON does", () => {
    const partial: RequestLine = { method: "GET", route: "unmatched", status: 404, duration_ms: Number.NaN };
    expect(parsed(partial)).toEqual(JSON.parse(JSON.stringify(redactFields(partial))));
  });

  it("keeps the line when a value is not the string its type says (a claim cast unchecked), as redactFields would write it", async () => {
    const { lines, logger } = capture();
    for (const [user_id, session_id] of [
      [5, "x'"],
      [{}, 5],
      [["a"], { token: JWT, nested: { deep: JWT } }],
      [null, true],
    ]) {
      const odd = { ...LINE, user_id, session_id } as unknown as RequestLine;
      expect(parsed(odd)).toEqual(redactFields(odd));
      logger.request?.("error", odd);
    }
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatchObject({ event: "request", user_id: 5, session_id: "x'" });
    expect(JSON.stringify(lines)).not.toContain("eyJ");
  });

  it("has the content of the `request` event a request's logger would write", async () => {
    const { lines, logger } = capture();
    const { request_id, trace_id, ...fields } = LINE;
    const scope = {
      requestId: request_id as string,
      traceId: trace_id as string,
      spanId: "0".repeat(16),
      traceFlags: "01",
    };
    const scoped = withRequestScope(logger, scope);
    scoped.info("request", fields);
    logger.request?.("info", LINE);
    scoped.error("request", fields);
    logger.request?.("error", LINE);
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toHaveLength(4);
    const [before, after, errorBefore, errorAfter] = lines.map(({ time, ...rest }) => {
      expect(typeof time).toBe("string");
      return rest;
    });
    expect(after).toEqual(before);
    expect(errorAfter).toEqual(errorBefore);
    expect(after).toMatchObject({ level: "info", event: "request", ...LINE });
  });

  it("takes the caller's request id only as a plain token, and still cuts one shaped like a credential", () => {
    const random = { uuid: () => "00000000-0000-4000-8000-000000000000" } as never;
    expect(requestIdFor("abc-123._x", random)).toBe("abc-123._x");
    for (const offered of [`Bearer ${JWT}`, "a b", "x".repeat(129), "id;cookie=1", 'a"b']) {
      expect(requestIdFor(offered, random)).toBe("00000000-0000-4000-8000-000000000000");
    }
    // A JWT is a plain token (base64url and dots): the value net still applies to the id.
    expect(parsed({ ...LINE, request_id: requestIdFor(JWT, random) }).request_id).toBe("[redacted]");
  });
});
