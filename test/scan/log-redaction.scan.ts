import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { GOOD_PASSWORD } from "../support/accounts.js";
import { TEST_ADMIN_KEY } from "../support/app.js";

/**
 * Runs after every other suite (scripts/test.mjs): scans all the logs the
 * suite's apps, Workers and built Node servers wrote (test/support/log-capture.ts)
 * for the secrets those tests handled. A redaction rule that stopped working,
 * or a new log field carrying a secret, fails here.
 */
const DIR = process.env.LOG_CAPTURE_DIR;

/** Shapes of the credentials the service handles; none may appear in any log line. */
const FORBIDDEN: [string, RegExp][] = [
  ["a JWT", /eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/],
  ["a refresh token", /rt1\.[A-Za-z0-9_-]{20,}/],
  ["an API key", /sk_[A-Za-z0-9]{40,}/],
  ["a bearer credential", /Bearer\s+[A-Za-z0-9._~+/=-]{8,}/i],
  ["a refresh cookie", /__Host-refresh(?:-[a-z0-9-]+)?=(?!\[redacted\])[^;\s"]+/],
  ["a SAML message", /PHNhbWxwOl|PHNhbWwyc|PD94bWwg|<saml2?p?:(Response|Assertion)/],
  ["a PEM key", /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
  ["a PHC password hash", /\$argon2id\$v=19\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]{16,}\$[A-Za-z0-9+/]{16,}/],
  ["the test password", new RegExp(GOOD_PASSWORD)],
  ["the bootstrap admin key", new RegExp(TEST_ADMIN_KEY)],
  ["a provider client secret used by the tests", /(edge-client|authority|authority-idt)-secret-0123456789|very-secret/],
  [
    "a password field with a value",
    /"(password|new_password|client_secret|refresh_token|access_token|code_verifier)":"(?!\[redacted\])/,
  ],
];

function captured(kind: string): string[] {
  if (!DIR) return [];
  return readdirSync(DIR)
    .filter((name) => name.startsWith(`${kind}-`))
    .flatMap((name) => readFileSync(join(DIR, name), "utf8").split("\n"))
    .filter((line) => line.trim() !== "");
}

describe.runIf(DIR)("the whole suite's logs", () => {
  const app = captured("app");
  const worker = captured("worker");
  const node = captured("node");

  it("were captured from every runtime, with the events that handle secrets", () => {
    expect(app.length).toBeGreaterThan(2_000);
    expect(worker.length).toBeGreaterThan(50);
    expect(node.length).toBeGreaterThan(10);
    const events = new Set(app.map((line) => (JSON.parse(line) as { event: string }).event));
    for (const event of [
      "request",
      "login_succeeded",
      "login_failed",
      "refresh_token_reuse",
      "session_revoked",
      "api_key_created",
    ]) {
      expect(events, event).toContain(event);
    }
  });

  it("are one JSON object per line with time, level and event", () => {
    for (const line of [...app, ...worker.filter((l) => l.startsWith("{"))]) {
      const entry = JSON.parse(line) as Record<string, unknown>;
      expect(typeof entry.time).toBe("string");
      expect(["info", "warn", "error"]).toContain(entry.level);
      expect(typeof entry.event).toBe("string");
    }
  });

  it.each(FORBIDDEN)("contain no %s", (_what, shape) => {
    const leaks = [...app, ...worker, ...node].filter((line) => shape.test(line));
    expect(leaks.slice(0, 3)).toEqual([]);
  });
});
