import { describe, expect, it } from "vitest";
import { silentLogger } from "../../src/adapters/telemetry/console-logger.js";
import { ConfigError, parseConfig } from "../../src/config.js";
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
  it("refuses to only log mail in production, naming SMTP_URL", () => {
    const config = parseConfig(production, "node");
    expect(() => openNodeMailer(config, silentLogger)).toThrow(ConfigError);
    expect(() => openNodeMailer(config, silentLogger)).toThrow(/SMTP_URL: is required in production/);
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
    await openNodeMailer(parseConfig(base, "node"), logger).send(mail);
    expect(lines).toEqual([expect.objectContaining({ level: "info", event: "mail_logged" })]);
  });
});
