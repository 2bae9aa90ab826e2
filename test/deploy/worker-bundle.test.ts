/**
 * The Workers deployment as wrangler sees it: the bundle `npm run build:worker`
 * wrote stays under the compressed-size budget, and wrangler.toml's
 * environments carry what the service needs (docs/deploy/workers.md).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { supportedCompatibilityDate } from "miniflare";
import { describe, expect, it } from "vitest";
import { unstable_readConfig as readConfig } from "wrangler";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BUNDLE = join(ROOT, "dist/worker");
/** The Workers Free plan's limit on a Worker's compressed size; docs/deploy/workers.md states it as the budget. */
const BUNDLE_BUDGET_BYTES = 3 * 1024 * 1024;
const SECRET_NAMES = [
  "DATABASE_URL",
  "UPSTASH_REDIS_REST_TOKEN",
  "BOOTSTRAP_ADMIN_KEY",
  "ENCRYPTION_KEYS",
  "POSTMARK_SERVER_TOKEN",
  "OTEL_EXPORTER_OTLP_HEADERS",
];
const CRONS = ["17 * * * *", "43 3 * * *"];

describe("the Worker bundle", () => {
  it("stays under the compressed-size budget (script, WebAssembly and text modules, as uploaded)", () => {
    const uploaded = readdirSync(BUNDLE).filter((name) => /\.(js|wasm|css)$/.test(name));
    expect(uploaded).toContain("worker.js");
    expect(uploaded.filter((name) => name.endsWith(".wasm")).length).toBe(2);
    // Swagger UI's script and stylesheet for /docs (wrangler.toml [[rules]]).
    expect(uploaded.filter((name) => /-swagger-ui(-bundle)?\.(js|css)$/.test(name)).length).toBe(2);
    const raw = uploaded.reduce((sum, name) => sum + statSync(join(BUNDLE, name)).size, 0);
    const gzipped = uploaded.reduce((sum, name) => sum + gzipSync(readFileSync(join(BUNDLE, name))).length, 0);
    console.log(
      `worker bundle: ${(raw / 1024).toFixed(0)} KiB raw, ${(gzipped / 1024).toFixed(0)} KiB gzip ` +
        `(budget ${(BUNDLE_BUDGET_BYTES / 1024).toFixed(0)} KiB)`,
    );
    expect(gzipped).toBeLessThan(BUNDLE_BUDGET_BYTES);
  });
});

describe("wrangler.toml", () => {
  for (const env of ["staging", "production"]) {
    it(`${env}: a supported compatibility date, nodejs_compat, both crons, observability, https PUBLIC_URL, no secrets`, () => {
      const config = readConfig({ config: join(ROOT, "wrangler.toml"), env });
      expect(config.main).toBe(join(ROOT, "src/entry/worker.ts"));
      expect(config.compatibility_date <= supportedCompatibilityDate).toBe(true);
      expect(config.compatibility_flags).toContain("nodejs_compat");
      expect(config.triggers.crons).toEqual(CRONS);
      expect(config.observability?.enabled).toBe(true);
      expect(config.workers_dev).toBe(false);
      expect(config.routes?.length).toBeGreaterThan(0);
      const vars = config.vars as Record<string, string>;
      expect(vars.APP_ENV).toBe("production");
      expect(new URL(vars.PUBLIC_URL ?? "").protocol).toBe("https:");
      for (const secret of SECRET_NAMES) expect(vars, `${secret} is a secret`).not.toHaveProperty(secret);
      // The sender of the account mails; POSTMARK_SERVER_TOKEN (a secret) is how they leave.
      expect(vars.MAIL_FROM).toMatch(/<no-reply@auth\.(staging\.)?example\.com>$/);
    });
  }

  it("gives each environment its own Worker name and Redis prefix", () => {
    const staging = readConfig({ config: join(ROOT, "wrangler.toml"), env: "staging" });
    const production = readConfig({ config: join(ROOT, "wrangler.toml"), env: "production" });
    expect(staging.name).not.toBe(production.name);
    const prefix = (vars: unknown) => (vars as Record<string, string>).REDIS_KEY_PREFIX;
    expect(prefix(staging.vars)).not.toBe(prefix(production.vars));
  });

  it("names every cron the Worker dispatches on", () => {
    const source = readFileSync(join(ROOT, "src/entry/worker.ts"), "utf8");
    expect(source).toContain(`CLEANUP_CRON = "${CRONS[1]}"`);
  });
});
