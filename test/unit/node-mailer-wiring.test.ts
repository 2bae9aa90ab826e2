import { describe, expect, it } from "vitest";
import { silentLogger } from "../../src/adapters/telemetry/console-logger.js";
import { parseConfig } from "../../src/config.js";
import { openNodeMailer } from "../../src/entry/node-deps.js";
import { recordingLogger } from "../support/recorders.js";

const KEY = btoa(String.fromCharCode(...new Uint8Array(32).fill(7)));
const base = { BOOTSTRAP_ADMIN_KEY: "admin-key-that-is-long-enough-0123456789", ENCRYPTION_KEYS: `v1:${KEY}` };
const production = {
  ...base,
  APP_ENV: "production",
  PUBLIC_URL: "https://auth.example",
  DATABASE_URL: "postgres://db/auth",
  REDIS_URL: "redis://cache:6379",
};

describe("the Node runtime's mailer", () => {
  it("never only logs mail in production: no mailer without SMTP_URL", () => {
    expect(openNodeMailer(parseConfig(production, "node"), silentLogger)).toBeUndefined();
  });

  it("sends over SMTP in production when SMTP_URL is set", () => {
    const config = parseConfig({ ...production, SMTP_URL: "smtp://mail:587", MAIL_FROM: "a@auth.example" }, "node");
    const mailer = openNodeMailer(config, silentLogger) as { close?: () => void };
    expect(typeof mailer.close).toBe("function"); // the pooled SMTP transport, not the log mailer
    mailer.close?.();
  });

  it("logs mail in development without SMTP_URL", async () => {
    const { logger, lines } = recordingLogger();
    const mail = { to: "ada@example.com", subject: "s", text: "t", html: "h", kind: "verify_email" };
    await openNodeMailer(parseConfig(base, "node"), logger)?.send(mail);
    expect(lines).toEqual([expect.objectContaining({ level: "info", event: "mail_logged" })]);
  });
});
