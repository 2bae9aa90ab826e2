import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, parseConfig, parseMigrationConfig } from "../../src/config.js";
import { DURATION_MAX, DURATION_MIN, parseDuration } from "../../src/config-values.js";

const KEY = btoa(String.fromCharCode(...new Uint8Array(32).fill(7)));
const ADMIN = "admin-key-that-is-long-enough-0123456789";
const valid = { BOOTSTRAP_ADMIN_KEY: ADMIN, ENCRYPTION_KEYS: `v1:${KEY}` };

function problemsOf(source: Record<string, unknown>, runtime: "node" | "worker" = "node") {
  try {
    parseConfig(source, runtime);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return { problems: (error as ConfigError).problems, message: (error as ConfigError).message };
  }
  throw new Error("expected a ConfigError");
}

describe("config", () => {
  it("keeps the default statement timeout below the refresh grace period (a refresh answers before its client may retry)", () => {
    const config = parseConfig(valid, "node");
    expect(config.DATABASE_STATEMENT_TIMEOUT + 1_000).toBeLessThan(config.REFRESH_GRACE_PERIOD);
  });

  it("applies documented defaults in development", () => {
    const config = parseConfig(valid, "node");
    expect(config).toMatchObject({
      APP_ENV: "development",
      PORT: 8787,
      HOST: "0.0.0.0",
      PUBLIC_URL: "http://localhost:8787",
      DATA_DIR: "./data",
      MIGRATE_ON_START: true,
      MAX_BODY_BYTES: 65_536,
      READINESS_TIMEOUT: 2_000,
      DATABASE_STATEMENT_TIMEOUT: 5_000,
      REDIS_COMMAND_TIMEOUT: 2_000,
      SHUTDOWN_TIMEOUT: 10_000,
      REDIS_KEY_PREFIX: "auth:",
      HTTP_HEADERS_TIMEOUT: 10_000,
      HTTP_REQUEST_TIMEOUT: 30_000,
      HTTP_KEEP_ALIVE_TIMEOUT: 65_000,
      MAX_CONNECTIONS: 10_000,
      MAX_CONNECTIONS_PER_ADDRESS: 256,
      PASSWORD_HASH_MAX_WAIT: 2_000,
    });
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.PASSWORD_HASH_CONCURRENCY).toBeUndefined(); // the runtime picks from its CPUs
    expect(parseConfig({ ...valid, PASSWORD_HASH_CONCURRENCY: "3" }, "node").PASSWORD_HASH_CONCURRENCY).toBe(3);
    expect(config.ENCRYPTION_KEYS).toEqual([{ id: "v1", key: new Uint8Array(32).fill(7) }]);
  });

  it("normalises PUBLIC_URL without a trailing slash", () => {
    expect(parseConfig({ ...valid, PUBLIC_URL: "https://auth.example.com/" }, "node").PUBLIC_URL).toBe(
      "https://auth.example.com",
    );
    expect(parseConfig({ ...valid, PUBLIC_URL: "https://example.com/auth/" }, "node").PUBLIC_URL).toBe(
      "https://example.com/auth",
    );
  });

  it.each([
    ["PORT", "0", "whole number from 1 to 65535"],
    ["PORT", "80a", "whole number"],
    ["PORT", "70000", "whole number"],
    ["PUBLIC_URL", "auth.example.com", "absolute http(s) URL"],
    ["PUBLIC_URL", "ftp://auth.example.com", "http(s) URL"],
    ["PUBLIC_URL", "https://auth.example.com/?x=1", "must not carry"],
    ["DATABASE_URL", "mysql://localhost/db", "postgres URL"],
    ["DATABASE_URL", "::::", "absolute postgres URL"],
    ["REDIS_URL", "http://localhost", "redis URL"],
    ["REDIS_CLUSTER", "sometimes", '"true" or "false"'],
    ["REDIS_KEY_PREFIX", "auth:{eu}:", "must not contain { or }"],
    ["APP_ENV", "staging", '"development", "test" or "production"'],
    ["MAX_BODY_BYTES", "-5", "whole number"],
    ["READINESS_TIMEOUT", "0s", "positive duration"],
    ["DATABASE_STATEMENT_TIMEOUT", "0", "positive duration"],
    ["REDIS_COMMAND_TIMEOUT", "soon", "positive duration"],
    ["SHUTDOWN_TIMEOUT", "soon", "positive duration"],
    ["MIGRATE_ON_START", "perhaps", '"true" or "false"'],
    ["NEON_FETCH_ENDPOINT", "not a url", "http(s) URL"],
    ["UPSTASH_REDIS_REST_URL", "redis://x", "http(s) URL"],
    ["LOG_LEVEL", "debug", '"info", "warn", "error" or "silent"'],
    ["TRUSTED_PROXIES", "10.0.0.0/8, 10.0.0.300", "entry 2 is not an IP address or CIDR"],
    ["TRUSTED_PROXIES", "10.0.0.0/33", "entry 1 is not"],
    ["SHUTDOWN_DRAIN_DELAY", "-1s", "must be a duration"],
    ["SESSION_RETENTION", "0", "positive duration"],
    ["AUDIT_RETENTION", "soon", "duration"],
    ["HTTP_HEADERS_TIMEOUT", "0s", "positive duration"],
    ["HTTP_REQUEST_TIMEOUT", "forever", "positive duration"],
    ["HTTP_REQUEST_TIMEOUT", "5s", "must be at least HTTP_HEADERS_TIMEOUT"],
    ["HTTP_KEEP_ALIVE_TIMEOUT", "-1", "positive duration"],
    ["MAX_CONNECTIONS", "0", "whole number from 1 to 1000000"],
    ["MAX_CONNECTIONS", "many", "whole number"],
    ["MAX_CONNECTIONS_PER_ADDRESS", "0", "whole number from 1 to 1000000"],
    ["PASSWORD_HASH_CONCURRENCY", "0", "whole number from 1 to 1024"],
    ["PASSWORD_HASH_CONCURRENCY", "two", "whole number"],
    ["MAIL_FROM", "no-reply", '"address@domain" or "Name <address@domain>"'],
    ["MAIL_FROM", "Authority <no-reply@auth.example", "Name <address@domain>"],
    ["MAIL_FROM", "Authority\r\nBcc: eve@evil.example <no-reply@auth.example>", "on one line"],
    ["MAIL_FROM", "a@b.example\nBcc: eve@evil.example", "on one line"],
    ["POSTMARK_API_URL", "api.postmarkapp.com", "http(s) URL"],
  ])("rejects %s=%s with a message naming it", (variable, value, message) => {
    const { problems } = problemsOf({ ...valid, [variable]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]?.variable).toBe(variable);
    expect(problems[0]?.message).toContain(message);
  });

  // Node and workerd fire a timer of more than 2^31-1 ms after 1 ms: a setting that reaches one stays below.
  it.each([
    ["READINESS_TIMEOUT", "1m"],
    ["DATABASE_STATEMENT_TIMEOUT", "1m"],
    ["REDIS_COMMAND_TIMEOUT", "1m"],
    ["KEY_ROTATION_CHECK_INTERVAL", "1d"],
    ["SHUTDOWN_TIMEOUT", "1h"],
    ["SHUTDOWN_DRAIN_DELAY", "1h"],
    ["HTTP_HEADERS_TIMEOUT", "1h"],
    ["HTTP_REQUEST_TIMEOUT", "1h"],
    ["HTTP_KEEP_ALIVE_TIMEOUT", "1h"],
    ["REFRESH_GRACE_PERIOD", "10m"],
    ["API_KEY_CACHE_TTL", "1d"],
    ["SIGNING_KEY_CACHE_TTL", "1h"],
    ["JWKS_MAX_AGE", "7d"],
    ["OTEL_METRICS_EXPORT_INTERVAL", "1h"],
    ["SESSION_RETENTION", "36500d"],
    ["AUDIT_RETENTION", "36500d"],
    ["SIGNING_KEY_ROTATION_INTERVAL", "36500d"],
  ])("takes %s up to %s and refuses more, naming the variable and not the value", (variable, max) => {
    const maxMs = parseDuration(max) as number;
    // With the request timeout at its ceiling, so the headers timeout is judged alone.
    const base = { ...valid, HTTP_REQUEST_TIMEOUT: "1h" };
    expect((parseConfig({ ...base, [variable]: max }, "node") as Record<string, unknown>)[variable]).toBe(maxMs);
    for (const over of [`${maxMs + 1}ms`, "25d", "9007199254740991ms"]) {
      if ((parseDuration(over) as number) <= maxMs) continue;
      const { problems, message } = problemsOf({ ...base, [variable]: over });
      expect(problems).toEqual([{ variable, message: `must be at most ${max}` }]);
      expect(message).not.toContain(over);
    }
  });

  // A 1 ms grace period made every refresh's ledger wait give up (0.5 ms) and a retry count as reuse.
  it.each([
    ["REFRESH_GRACE_PERIOD", "1s"],
    ["API_KEY_CACHE_TTL", "1s"],
    ["SIGNING_KEY_ROTATION_INTERVAL", "1d"],
    ["KEY_ROTATION_CHECK_INTERVAL", "1m"],
  ])("takes %s down to %s and refuses less, naming the variable and not the value", (variable, min) => {
    expect(DURATION_MIN[variable as keyof typeof DURATION_MIN]).toBe(min);
    const minMs = parseDuration(min) as number;
    expect((parseConfig({ ...valid, [variable]: min }, "node") as Record<string, unknown>)[variable]).toBe(minMs);
    for (const under of ["1ms", `${minMs - 1}ms`]) {
      const { problems, message } = problemsOf({ ...valid, [variable]: under });
      expect(problems).toEqual([{ variable, message: `must be at least ${min}` }]);
      expect(message).not.toContain(under);
    }
    expect(problemsOf({ ...valid, [variable]: "0" }).problems[0]?.message).toContain(`from ${min} to`);
  });

  it("keeps the durations that reach a timer below 2^31-1 ms, the shutdown's two together", () => {
    const max = (name: keyof typeof DURATION_MAX) => parseDuration(DURATION_MAX[name]) as number;
    // setTimeout in /readyz (Node and Workers), setInterval of the rotation job, the keep-alive socket timeout.
    // And the stores' timeouts (the drivers' timers).
    const timers = [
      "READINESS_TIMEOUT",
      "KEY_ROTATION_CHECK_INTERVAL",
      "HTTP_KEEP_ALIVE_TIMEOUT",
      "DATABASE_STATEMENT_TIMEOUT",
      "REDIS_COMMAND_TIMEOUT",
    ] as const;
    for (const name of timers) {
      expect(max(name)).toBeLessThanOrEqual(2 ** 31 - 1);
    }
    // The forced exit's timer waits for both.
    expect(max("SHUTDOWN_DRAIN_DELAY") + max("SHUTDOWN_TIMEOUT")).toBeLessThanOrEqual(2 ** 31 - 1);
  });

  it("takes SMTP_URL as smtp:// or smtps:// only, and MAIL_FROM with it", () => {
    const from = "Authority <no-reply@auth.example>";
    for (const [url, expected] of [
      ["http://mail.example:25", "smtp URL"],
      ["not a url", "absolute smtp URL"],
    ] as const) {
      const { problems } = problemsOf({ ...valid, SMTP_URL: url, MAIL_FROM: from });
      expect(problems).toEqual([{ variable: "SMTP_URL", message: expect.stringContaining(expected) }]);
    }
    const config = parseConfig({ ...valid, SMTP_URL: "smtps://u:p%40ss@mail.example:465", MAIL_FROM: from }, "node");
    expect(config).toMatchObject({ SMTP_URL: "smtps://u:p%40ss@mail.example:465", MAIL_FROM: from });
  });

  it("requires MAIL_FROM when mail really leaves (SMTP_URL or POSTMARK_SERVER_TOKEN), not otherwise", () => {
    expect(problemsOf({ ...valid, SMTP_URL: "smtp://mail.example:587" }).problems).toEqual([
      { variable: "MAIL_FROM", message: "is required when mail is sent" },
    ]);
    expect(problemsOf({ ...valid, POSTMARK_SERVER_TOKEN: "pm-token" }).problems).toEqual([
      { variable: "MAIL_FROM", message: "is required when mail is sent" },
    ]);
    expect(parseConfig(valid, "node").MAIL_FROM).toBeUndefined();
  });

  it("selects a Redis Cluster with REDIS_CLUSTER on Node, given a node's URL, and refuses it on Workers", () => {
    expect(parseConfig(valid, "node").REDIS_CLUSTER).toBe(false);
    const config = parseConfig({ ...valid, REDIS_CLUSTER: "true", REDIS_URL: "rediss://node-1.cache:6380" }, "node");
    expect(config).toMatchObject({ REDIS_CLUSTER: true, REDIS_URL: "rediss://node-1.cache:6380" });
    expect(problemsOf({ ...valid, REDIS_CLUSTER: "true" }).problems).toEqual([
      { variable: "REDIS_URL", message: "is required with REDIS_CLUSTER (a node of the cluster)" },
    ]);
    const worker = {
      ...valid,
      DATABASE_URL: "postgres://db/app",
      UPSTASH_REDIS_REST_URL: "https://eu.upstash.io",
      UPSTASH_REDIS_REST_TOKEN: "token",
      REDIS_CLUSTER: "yes",
    };
    expect(problemsOf(worker, "worker").problems).toEqual([
      { variable: "REDIS_CLUSTER", message: "is for Node only (Workers use Upstash REST)" },
    ]);
  });

  it("never repeats a mail credential in its messages", () => {
    const { message } = problemsOf({ ...valid, SMTP_URL: "ftp://user:hunter2-secret@mail.example" });
    expect(message).not.toContain("hunter2-secret");
  });

  it("requires the secrets, naming each missing one", () => {
    const { problems, message } = problemsOf({});
    expect(problems.map((p) => p.variable).sort()).toEqual(["BOOTSTRAP_ADMIN_KEY", "ENCRYPTION_KEYS"]);
    expect(message).toContain("BOOTSTRAP_ADMIN_KEY: is required");
  });

  it("parses the trusted proxies, and allows a zero drain delay where a positive duration is not required", () => {
    const config = parseConfig(
      { ...valid, TRUSTED_PROXIES: " 10.0.0.0/8 ,fd00::/8,192.0.2.1 ", SHUTDOWN_DRAIN_DELAY: "0" },
      "node",
    );
    expect(config.TRUSTED_PROXIES.map((cidr) => cidr.prefix)).toEqual([8, 8, 32]);
    expect(config.SHUTDOWN_DRAIN_DELAY).toBe(0);
    expect(parseConfig(valid, "node")).toMatchObject({
      TRUSTED_PROXIES: [],
      SHUTDOWN_DRAIN_DELAY: 5_000,
      LOG_LEVEL: "info",
    });
  });

  it("accepts a whole-request timeout equal to a raised headers timeout", () => {
    const config = parseConfig({ ...valid, HTTP_HEADERS_TIMEOUT: "45s", HTTP_REQUEST_TIMEOUT: "45s" }, "node");
    expect(config).toMatchObject({ HTTP_HEADERS_TIMEOUT: 45_000, HTTP_REQUEST_TIMEOUT: 45_000 });
    expect(problemsOf({ ...valid, HTTP_HEADERS_TIMEOUT: "45s" }).problems).toEqual([
      { variable: "HTTP_REQUEST_TIMEOUT", message: "must be at least HTTP_HEADERS_TIMEOUT" },
    ]);
  });

  it("names every bad variable at once", () => {
    const { problems } = problemsOf({ ...valid, PORT: "x", PUBLIC_URL: "nope", REDIS_URL: "nope" });
    expect(problems.map((p) => p.variable).sort()).toEqual(["PORT", "PUBLIC_URL", "REDIS_URL"]);
  });

  it("never echoes a secret, even a malformed one", () => {
    const shortSecret = "s3cr3t-value-xyz";
    const badKeys = "v1:c2VjcmV0LWJ1dC1ub3QtMzItYnl0ZXM=,zz-top-secret-material";
    const { message } = problemsOf({
      BOOTSTRAP_ADMIN_KEY: shortSecret,
      ENCRYPTION_KEYS: badKeys,
      UPSTASH_REDIS_REST_TOKEN: "",
      DATABASE_URL: "postgres://user:hunter2-password@:bad:port/db",
    });
    expect(message).toContain("BOOTSTRAP_ADMIN_KEY: must be at least 32 characters long");
    expect(message).toContain("ENCRYPTION_KEYS: entry 1 must be");
    for (const secret of [shortSecret, "c2VjcmV0", "zz-top-secret", "hunter2"]) expect(message).not.toContain(secret);
  });

  it.each([
    ["v1", "entry 1 must be"],
    [`v1:${KEY},v1:${KEY}`, "entry 2 repeats the key id"],
    [`v1:${btoa("too short")}`, "entry 1 must be"],
    [`bad id:${KEY}`, "entry 1 must be"],
    [`v1:${KEY},v2:!!!`, "entry 2 must be"],
  ])("validates ENCRYPTION_KEYS %#", (value, message) => {
    const { problems } = problemsOf({ ...valid, ENCRYPTION_KEYS: value });
    expect(problems[0]?.variable).toBe("ENCRYPTION_KEYS");
    expect(problems[0]?.message).toContain(message);
  });

  it("keeps several encryption keys in order, the first current", () => {
    const other = btoa(String.fromCharCode(...new Uint8Array(32).fill(9)));
    const keys = parseConfig({ ...valid, ENCRYPTION_KEYS: `new:${other}, old:${KEY}` }, "node").ENCRYPTION_KEYS;
    expect(keys.map((k) => k.id)).toEqual(["new", "old"]);
  });

  it("accepts base64url key material", () => {
    const urlSafe = KEY.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    expect(parseConfig({ ...valid, ENCRYPTION_KEYS: `v1:${urlSafe}` }, "node").ENCRYPTION_KEYS[0]?.key).toHaveLength(
      32,
    );
  });

  it("reports cross-variable rules together with field errors", () => {
    const { problems } = problemsOf({ ...valid, APP_ENV: "production", PUBLIC_URL: "nope", PORT: "x" });
    expect(problems.map((p) => p.variable).sort()).toEqual(["DATABASE_URL", "PORT", "PUBLIC_URL", "REDIS_URL"]);
    expect(problems.filter((p) => p.variable === "PUBLIC_URL")).toHaveLength(1);
  });

  it("requires PUBLIC_URL outside development", () => {
    expect(problemsOf({ ...valid, APP_ENV: "test" }).problems).toEqual([
      { variable: "PUBLIC_URL", message: "is required outside development" },
    ]);
  });

  it("refuses the embedded stores and plain http in production on Node", () => {
    const { problems } = problemsOf({ ...valid, APP_ENV: "production", PUBLIC_URL: "http://auth.example.com" });
    expect(problems.map((p) => p.variable).sort()).toEqual(["DATABASE_URL", "PUBLIC_URL", "REDIS_URL"]);
    expect(
      parseConfig(
        {
          ...valid,
          APP_ENV: "production",
          PUBLIC_URL: "https://auth.example.com",
          DATABASE_URL: "postgres://db/auth",
          REDIS_URL: "rediss://cache:6380",
        },
        "node",
      ).APP_ENV,
    ).toBe("production");
  });

  it("requires Neon and Upstash settings on Workers", () => {
    const { problems } = problemsOf({ ...valid, PUBLIC_URL: "https://a.example" }, "worker");
    expect(problems.map((p) => p.variable).sort()).toEqual([
      "DATABASE_URL",
      "UPSTASH_REDIS_REST_TOKEN",
      "UPSTASH_REDIS_REST_URL",
    ]);
  });

  it("ignores non-string Worker bindings and empty strings", () => {
    const config = parseConfig({ ...valid, SOME_KV: { get() {} }, PORT: "" }, "node");
    expect(config.PORT).toBe(8787);
  });

  it("parses once per source object", () => {
    const source = { ...valid };
    const first = loadConfig(source, "node");
    source.BOOTSTRAP_ADMIN_KEY = "changed-but-cached-000000000000000000";
    expect(loadConfig(source, "node")).toBe(first);
    expect(loadConfig({ ...source }, "node").BOOTSTRAP_ADMIN_KEY).toBe("changed-but-cached-000000000000000000");
  });

  it("refuses NODE_ENV=production without APP_ENV rather than run in development mode", () => {
    const { problems, message } = problemsOf({ ...valid, NODE_ENV: "production" });
    expect(problems[0]).toMatchObject({ variable: "APP_ENV" });
    expect(message).toMatch(/APP_ENV: is required when NODE_ENV is "production"/);
    expect(problemsOf({ ...valid, NODE_ENV: "production" }, "worker").problems[0]?.variable).toBe("APP_ENV");
    expect(() => parseMigrationConfig({ NODE_ENV: "production", DATABASE_URL: "postgres://db/x" })).toThrow(
      /APP_ENV: is required when NODE_ENV/,
    );
    // Any APP_ENV said on purpose, or another NODE_ENV (vitest's "test"), goes on as before.
    expect(parseConfig({ ...valid, NODE_ENV: "production", APP_ENV: "development" }, "node").APP_ENV).toBe(
      "development",
    );
    expect(parseConfig({ ...valid, NODE_ENV: "test" }, "node").APP_ENV).toBe("development");
  });

  it("needs only the database settings to migrate", () => {
    expect(parseMigrationConfig({ DATABASE_URL: "postgres://db/x" }).DATABASE_URL).toBe("postgres://db/x");
    expect(() => parseMigrationConfig({ APP_ENV: "production" })).toThrow(/DATABASE_URL: is required in production/);
  });

  it.each([
    ["30s", 30_000],
    ["10m", 600_000],
    ["30d", 2_592_000_000],
    ["250ms", 250],
    ["15", 15_000],
    ["0", undefined],
    ["-1s", undefined],
    ["1w", undefined],
    ["1.5s", undefined],
  ])("parses the duration %s", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });
});
