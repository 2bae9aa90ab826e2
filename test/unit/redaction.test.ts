import { Writable } from "node:stream";
import { describe, expect, it, vi } from "vitest";
import { createConsoleLogger } from "../../src/adapters/telemetry/console-logger.js";
import { createPinoLogger } from "../../src/adapters/telemetry/pino-logger.js";
import { REDACTED, redactFields, redactString } from "../../src/core/logging/redaction.js";

const JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLWJ5dGVzLWhlcmU";
const REFRESH = "rt1.AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8.k1:abcdefghijklmnop";
const API_KEY = "sk_4fJ9kL2mN8pQ1rS5tU7vW0xY3zA6bC9dE2fG5hJ8kL1mN4p";

describe("redaction", () => {
  it("replaces fields whose names only ever hold secrets, at any depth", () => {
    const out = redactFields({
      password: "hunter2hunter2",
      client_secret: "s3cr3t",
      refreshToken: "abc",
      Authorization: "Basic dXNlcjpwYXNz",
      cookie: "a=b",
      nested: { new_password: "x", code_verifier: "v", SAMLResponse: "PHNhbWxwOlJlc3BvbnNl" },
      list: [{ api_key: "k" }],
      user_id: "b9c1f6a4-0000-4000-8000-000000000000",
      key_id: "kid-1",
      status: 401,
    });
    expect(out).toEqual({
      password: REDACTED,
      client_secret: REDACTED,
      refreshToken: REDACTED,
      Authorization: REDACTED,
      cookie: REDACTED,
      nested: { new_password: REDACTED, code_verifier: REDACTED, SAMLResponse: REDACTED },
      list: [{ api_key: REDACTED }],
      user_id: "b9c1f6a4-0000-4000-8000-000000000000",
      key_id: "kid-1",
      status: 401,
    });
  });

  it("keeps a driver error's system code or SQLSTATE under `cause`, and every other `code` redacted", () => {
    const out = redactFields({
      cause: { error: "Error", message: "read ECONNRESET", code: "ECONNRESET" },
      nested: { cause: { code: "57014" } },
      code: "ECONNRESET",
      query: { code: "SplxlOBeZQQYbYS6WxSbIA", state: "af0ifjsldkj" },
      other: { cause: { code: "SplxlOBeZQQYbYS6WxSbIA" } },
      also: { cause: { code: "123456" } },
    });
    expect(out).toEqual({
      cause: { error: "Error", message: "read ECONNRESET", code: "ECONNRESET" },
      nested: { cause: { code: "57014" } },
      code: REDACTED,
      query: { code: REDACTED, state: "af0ifjsldkj" },
      other: { cause: { code: REDACTED } },
      also: { cause: { code: REDACTED } },
    });
  });

  it("finds credential shapes inside any string (a provider's error quoting a token, say)", () => {
    const text = `upstream said: invalid ${JWT} for Bearer ${API_KEY}; cookie __Host-refresh-acme=${REFRESH}; rt ${REFRESH} key ${API_KEY}`;
    const out = redactString(text);
    for (const secret of [JWT, REFRESH, API_KEY]) expect(out).not.toContain(secret);
    expect(out).toContain("upstream said: invalid");
  });

  it("redacts refresh cookies of every tenant, whatever their value looks like", () => {
    const text = "Cookie: __Host-refresh-acme-eu=opaque-value-1; theme=dark; __Host-refresh=older-value-2";
    const out = redactString(text);
    expect(out).toBe(`Cookie: ${REDACTED}; theme=dark; ${REDACTED}`);
  });

  it("keeps errors' names and redacted messages, never their stacks, and does not change the input", () => {
    const fields = { error: new Error(`refused ${JWT}`), when: new Date(0) };
    expect(redactFields(fields)).toEqual({
      error: { name: "Error", message: `refused ${REDACTED}` },
      when: "1970-01-01T00:00:00.000Z",
    });
    expect(fields.error.message).toContain(JWT);
  });

  it("stops at a bounded depth (cyclic or huge structures cannot hang a log call)", () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(JSON.stringify(redactFields(cyclic))).toContain("[truncated]");
  });
});

describe("loggers", () => {
  it("pino writes one JSON line per event with level name, ISO time and redacted fields", () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(...chunk.toString().trim().split("\n"));
        done();
      },
    });
    const logger = createPinoLogger("info", sink as never);
    logger.info("login_failed", { tenant_id: "t", password: "hunter2hunter2", detail: `token ${JWT}` });
    logger.warn("refresh_token_reuse", { session_id: "s" });
    expect(lines).toHaveLength(2);
    const first = JSON.parse(lines[0] as string);
    expect(first).toMatchObject({ level: "info", event: "login_failed", tenant_id: "t", password: REDACTED });
    expect(first.time).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(lines.join("\n")).not.toContain("hunter2");
    expect(lines.join("\n")).not.toContain(JWT);
    expect(JSON.parse(lines[1] as string).level).toBe("warn");
  });

  it("pino and console honour the minimum level", () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const pinoLogger = createPinoLogger("warn", sink as never);
    pinoLogger.info("hidden");
    pinoLogger.error("shown");
    expect(lines).toHaveLength(1);

    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const consoleLogger = createConsoleLogger({ now: () => new Date(0) }, "warn");
      consoleLogger.info("hidden");
      consoleLogger.error("shown", { token: "abc" });
      expect(log).not.toHaveBeenCalled();
      expect(JSON.parse(error.mock.calls[0]?.[0] as string)).toEqual({
        time: "1970-01-01T00:00:00.000Z",
        level: "error",
        event: "shown",
        token: REDACTED,
      });
    } finally {
      log.mockRestore();
      error.mockRestore();
    }
  });
});
