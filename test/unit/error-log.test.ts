/**
 * What an unexpected error writes to the log: bounded, and never a failed
 * query's parameters (drizzle's "Failed query: … params: …" carried sealed
 * secrets, key hashes and whole request values into every error line), nor
 * the Redis command @upstash/redis appends to its errors on the Worker.
 */
import { Writable } from "node:stream";
import { Redis, errors as upstash } from "@upstash/redis/cloudflare";
import { DrizzleQueryError } from "drizzle-orm/errors";
import { Hono } from "hono";
import { describe, expect, it, vi } from "vitest";
import { createConsoleLogger } from "../../src/adapters/telemetry/console-logger.js";
import { createPinoLogger } from "../../src/adapters/telemetry/pino-logger.js";
import { errorFields, errorText } from "../../src/core/logging/error-fields.js";
import { errorHandler } from "../../src/http/problem.js";
import { recordingLogger } from "../support/recorders.js";

const SEALED = "v1.t1.c2VhbGVkLXNlY3JldC1ieXRlcw.aGVyZQ";
const KEY_HASH = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
const HUGE = "<md:EntityDescriptor>".padEnd(256 * 1024, "x");

/** A failed insert as drizzle reports it: the query, every bound value, the driver's error under it. */
function failedQuery(): DrizzleQueryError {
  const driver = Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: "22021" });
  return new DrizzleQueryError(
    'insert into "saml_connections" ("name", "idp_metadata_xml", "sp_private_key_sealed", "key_hash") values ($1, $2, $3, $4)',
    ["okta", HUGE, SEALED, KEY_HASH],
    driver,
  );
}

function expectSafe(line: string) {
  expect(line).not.toContain(SEALED);
  expect(line).not.toContain(KEY_HASH);
  expect(line).not.toContain("params:");
  expect(line).not.toContain("xxxxxxxxxxxxxxxx");
  expect(line.length).toBeLessThan(8 * 1024);
}

describe("the unexpected error's log line", () => {
  it("holds the query, the driver's SQLSTATE and the stack's frames, capped, without the query's parameters", async () => {
    const { logger, lines } = recordingLogger();
    const app = new Hono();
    app.onError(errorHandler(logger));
    app.put("/t/:tenant/v1/admin/saml-connections/:name", () => {
      throw failedQuery();
    });
    const response = await app.request(`/t/acme/v1/admin/saml-connections/${"n".repeat(64 * 1024)}`, { method: "PUT" });
    expect(response.status).toBe(500);
    expect(lines).toHaveLength(1);
    const fields = (lines[0] as { fields: Record<string, unknown> }).fields;
    expectSafe(JSON.stringify(fields));
    expect(fields.message).toMatch(/^Failed query: insert into "saml_connections"/);
    expect(fields.stack).toMatch(/^at /);
    expect(fields.cause).toEqual({
      error: "Error",
      message: 'invalid byte sequence for encoding "UTF8": 0x00',
      code: "22021",
    });
    expect((fields.path as string).length).toBeLessThan(1024);
  });

  it("is capped and stripped by both logger adapters too, whoever logs the error", () => {
    const written: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        written.push(chunk.toString());
        done();
      },
    });
    const error = failedQuery();
    createPinoLogger("info", sink as never).error("job_failed", { message: error.message, error });
    const spy = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      createConsoleLogger().error("job_failed", { message: error.message, error });
      written.push(...spy.mock.calls.map((call) => String(call[0])));
    } finally {
      spy.mockRestore();
    }
    expect(written).toHaveLength(2);
    for (const line of written) {
      expectSafe(line);
      expect(line).toContain("Failed query: insert into");
    }
  });

  it("holds Redis's error but not the command @upstash/redis appends to it (keys and values)", async () => {
    const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const state = "af0ifjsldkj-state-0123456789";
    // Upstash answers a refused command with 400 and its error; the client is the Worker's, as its adapter sets it up.
    const fetchSpy = vi
      .spyOn(globalThis, "fetch")
      .mockImplementation(async () =>
        Response.json({ error: "ERR max daily request limit exceeded. Limit: 10000, Usage: 10000" }, { status: 400 }),
      );
    let error: unknown;
    try {
      const redis = new Redis({
        url: "https://eu1-upstash.example",
        token: "t",
        automaticDeserialization: false,
        enableTelemetry: false,
      });
      error = await redis
        .set(`authority:oauth-state:${state}`, JSON.stringify({ codeVerifier: verifier }), { px: 600_000 })
        .then(
          () => expect.unreachable("stored"),
          (e: unknown) => e,
        );
    } finally {
      fetchSpy.mockRestore();
    }
    expect(error).toBeInstanceOf(upstash.UpstashError);
    // What the client puts in its message, and the log must not.
    expect((error as Error).message).toContain(", command was: ");
    expect((error as Error).message).toContain(verifier);

    const { logger, lines } = recordingLogger();
    const app = new Hono();
    app.onError(errorHandler(logger));
    app.get("/t/acme/v1/oauth/google/start", () => {
      throw error;
    });
    expect((await app.request("/t/acme/v1/oauth/google/start")).status).toBe(500);
    const fields = (lines[0] as { fields: Record<string, unknown> }).fields;
    expect(fields).toMatchObject({
      error: "UpstashError",
      message: "ERR max daily request limit exceeded. Limit: 10000, Usage: 10000",
    });
    // Under another error too, the cause keeps Redis's error only.
    const wrapped = errorFields(new Error("session store failed", { cause: error }));
    expect(wrapped.cause).toMatchObject({
      message: "ERR max daily request limit exceeded. Limit: 10000, Usage: 10000",
    });
    for (const line of [JSON.stringify(fields), JSON.stringify(wrapped)]) {
      expect(line).not.toContain(verifier);
      expect(line).not.toContain(state);
      expect(line).not.toContain("command was");
    }
  });
});

describe("an error as the CLI prints it", () => {
  it("is the database's message and code, never drizzle's query parameters, under any wrapper", () => {
    expect(errorText(failedQuery())).toBe('invalid byte sequence for encoding "UTF8": 0x00 (22021)');
    const wrapped = errorText(new Error("re-encryption stopped at users u-1", { cause: failedQuery() }));
    expect(wrapped).toBe('re-encryption stopped at users u-1: invalid byte sequence for encoding "UTF8": 0x00 (22021)');
    for (const text of [errorText(failedQuery()), wrapped]) {
      expect(text).not.toContain(SEALED);
      expect(text).not.toContain(KEY_HASH);
    }
    expect(errorText(new Error("plain"))).toBe("plain");
    expect(errorText("thrown text")).toBe("thrown text");
  });
});
