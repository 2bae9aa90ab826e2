import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PostmarkBridge, startPostmarkBridge } from "./postmark-bridge.js";

const TOKEN = `postmark-token-${crypto.randomUUID()}`;
let bridge: PostmarkBridge;

beforeAll(async () => {
  bridge = await startPostmarkBridge({ token: TOKEN });
});
afterAll(async () => bridge.close());

const valid = {
  From: "Authority <no-reply@auth.example>",
  To: "ada@example.com",
  Subject: "Hello",
  TextBody: "text",
  HtmlBody: "<p>html</p>",
  Tag: "verify_email",
  MessageStream: "outbound",
};

/** A raw request as any Postmark client would send it; override what the test is about. */
async function post(body: unknown, headers: Record<string, string> = {}, path = "/email", method = "POST") {
  // Header names are case-insensitive: an override replaces the default of any casing.
  const sent = new Headers({ accept: "application/json", "content-type": "application/json" });
  sent.set("X-Postmark-Server-Token", TOKEN);
  for (const [name, value] of Object.entries(headers)) sent.set(name, value);
  const res = await fetch(bridge.url + path, {
    method,
    headers: sent,
    body: method === "GET" ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe("Postmark stand-in", () => {
  it("accepts a valid mail and answers as Postmark does", async () => {
    const before = bridge.accepted.length;
    const { status, json } = await post(valid);
    expect(status).toBe(200);
    expect(json).toMatchObject({ To: "ada@example.com", ErrorCode: 0, Message: "OK" });
    expect(json.MessageID).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number.isNaN(Date.parse(json.SubmittedAt as string))).toBe(false);
    expect(bridge.accepted.slice(before)).toEqual([expect.objectContaining({ ...valid, MessageID: json.MessageID })]);
  });

  it("takes the token header case-insensitively and answers 401 ErrorCode 10 without the right one", async () => {
    expect((await post(valid, { "x-postmark-server-token": TOKEN })).status).toBe(200);
    const before = bridge.accepted.length;
    for (const token of ["wrong", ""]) {
      const { status, json } = await post(valid, { "X-Postmark-Server-Token": token });
      expect(status).toBe(401);
      expect(json.ErrorCode).toBe(10);
    }
    expect(bridge.accepted).toHaveLength(before);
  });

  it.each([
    ["invalid JSON", "{not json", 402],
    ["no From", { ...valid, From: undefined }, 300],
    ["no recipient", { ...valid, To: " " }, 300],
    ["a line break in To", { ...valid, To: "ada@example.com\r\nBcc: eve@evil.example" }, 300],
    ["a line break in Subject", { ...valid, Subject: "a\nBcc: eve@evil.example" }, 300],
    ["neither body", { ...valid, TextBody: undefined, HtmlBody: undefined }, 300],
    ["a Tag over 1000 characters", { ...valid, Tag: "x".repeat(1001) }, 300],
    ["51 recipients", { ...valid, To: Array.from({ length: 51 }, (_, i) => `u${i}@example.com`).join(",") }, 300],
  ])("refuses %s with 422 and its ErrorCode", async (_what, body, code) => {
    const before = bridge.accepted.length;
    const { status, json } = await post(body);
    expect(status).toBe(422);
    expect(json.ErrorCode).toBe(code);
    expect(typeof json.Message).toBe("string");
    expect(bridge.accepted).toHaveLength(before);
  });

  it("refuses a body that is not declared JSON, other paths and other methods", async () => {
    expect((await post(valid, { "content-type": "text/plain" })).status).toBe(415);
    expect((await post(valid, {}, "/emails")).status).toBe(404);
    expect((await post(valid, {}, "/email", "GET")).status).toBe(405);
  });
});
