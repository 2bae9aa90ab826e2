#!/usr/bin/env node
// `npm test`: make sure PostgreSQL and Redis answer (starting them when they
// are installed but stopped) and that chromium is there (installing it with apt
// when missing), build both runtimes, typecheck, lint, find unused exports, run every
// suite, and end with one summary line.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const started = Date.now();
const PG = { host: "127.0.0.1", port: 5432 };
const REDIS = { host: "127.0.0.1", port: 6379 };

function reachable({ host, port }, timeoutMs = 1_000) {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

async function waitFor(target, seconds) {
  for (let i = 0; i < seconds * 4; i++) {
    if (await reachable(target)) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

const has = (command) => spawnSync("sh", ["-c", `command -v ${command}`]).status === 0;

async function ensurePostgres() {
  if (await reachable(PG)) return;
  if (has("pg_ctlcluster") && existsSync("/etc/postgresql")) {
    for (const version of readdirSync("/etc/postgresql")) {
      console.log(`Starting PostgreSQL ${version} ...`);
      spawnSync("pg_ctlcluster", ["--skip-systemctl-redirect", version, "main", "start"], { stdio: "inherit" });
    }
    if (await waitFor(PG, 30)) return;
  }
  throw new Error(
    "PostgreSQL does not answer on 127.0.0.1:5432 and could not be started.\n" +
      "Install it (Debian: apt-get install postgresql) and allow the user postgres from 127.0.0.1 without a password " +
      "(pg_hba.conf: host all postgres 127.0.0.1/32 trust), or set TEST_POSTGRES_URL.",
  );
}

async function ensureRedis() {
  if (await reachable(REDIS)) return;
  if (has("redis-server")) {
    console.log("Starting Redis ...");
    spawnSync(
      "redis-server",
      [
        "--daemonize",
        "yes",
        "--bind",
        "127.0.0.1",
        "--port",
        "6379",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        tmpdir(),
      ],
      { stdio: "inherit" },
    );
    if (await waitFor(REDIS, 15)) return;
  }
  throw new Error(
    "Redis does not answer on 127.0.0.1:6379 and could not be started.\n" +
      "Install it (Debian: apt-get install redis-server), or set TEST_REDIS_URL.",
  );
}

/** Debian's chromium for the browser test of /docs; installed with apt when missing (as root). */
function ensureChromium() {
  if (existsSync("/usr/bin/chromium")) return;
  if (has("apt-get")) {
    console.log("Installing chromium ...");
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    spawnSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
    spawnSync("apt-get", ["install", "-y", "-qq", "chromium"], { stdio: "inherit", env });
  }
  // Otherwise the browser test fails and says how to install it.
  if (!existsSync("/usr/bin/chromium")) console.error("chromium is missing: the /docs browser test will fail.");
}

function step(name, command, args) {
  console.log(`\n> ${name}`);
  const result = spawnSync(command, args, { stdio: "inherit", env: process.env });
  if (result.status !== 0) {
    console.log(`\nsummary: 0 passed, 1 failed (${name} failed)`);
    process.exit(result.status ?? 1);
  }
}

try {
  if (!process.env.TEST_POSTGRES_URL) await ensurePostgres();
  if (!process.env.TEST_REDIS_URL) await ensureRedis();
} catch (error) {
  console.error(error.message);
  console.log("\nsummary: 0 passed, 1 failed (services unavailable)");
  process.exit(1);
}

ensureChromium();

// The SDK's own build first: the suites import it as a package (node_modules/@authority/sdk -> sdk/).
step("build the SDK", "npm", ["run", "--silent", "build:sdk"]);
step("typecheck", "npx", ["tsc", "--noEmit"]);
step("lint", "npx", ["biome", "check", "."]);
// No export without an importer (knip.json names the entry points).
step("unused exports", "npx", ["knip", "--include", "exports,types,files", "--no-progress"]);
step("build", "npm", ["run", "--silent", "build"]);

// Every test app, Worker and built server logs into this folder; the scan
// below reads it all for leaked secrets once the suites are done.
const captureDir = mkdtempSync(join(tmpdir(), "authority-logs-"));
process.env.LOG_CAPTURE_DIR = captureDir;

/** Runs vitest with a JSON report; resolves its exit status and counts. */
function vitestRun(label, args) {
  const report = join(tmpdir(), `vitest-report-${process.pid}-${label}.json`);
  console.log(`\n> ${label}`);
  const run = spawnSync(
    "npx",
    ["vitest", "run", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`, ...args],
    { stdio: "inherit", env: process.env },
  );
  try {
    const results = JSON.parse(readFileSync(report, "utf8"));
    rmSync(report, { force: true });
    return {
      status: run.status,
      passed: results.numPassedTests,
      // A file that failed before running any test counts once.
      failed: results.numFailedTests || results.numFailedTestSuites || 0,
      skipped: results.numPendingTests + results.numTodoTests,
    };
  } catch {
    return { status: run.status ?? 1, passed: 0, failed: 1, skipped: 0 };
  }
}

const suites = vitestRun("vitest", process.argv.slice(2));
// Only after the whole suite: the scan needs everything it logged.
const scan = process.argv.length > 2 ? null : vitestRun("log redaction scan", ["--config", "vitest.scan.config.ts"]);
const runs = scan ? [suites, scan] : [suites];
const counts = {
  passed: runs.reduce((n, r) => n + r.passed, 0),
  failed: runs.reduce((n, r) => n + r.failed, 0),
  skipped: runs.reduce((n, r) => n + r.skipped, 0),
};
if (counts.failed === 0) rmSync(captureDir, { recursive: true, force: true });
else console.log(`(captured logs kept in ${captureDir})`);
const failed = runs.some((r) => r.status !== 0) || counts.failed > 0 || counts.passed === 0;
const seconds = Math.round((Date.now() - started) / 1000);
console.log(
  `\nsummary: ${counts.passed} passed, ${Math.max(counts.failed, failed ? 1 : 0)} failed, ${counts.skipped} skipped`,
);
console.log(`(${seconds} s in all)`);
process.exit(failed ? 1 : 0);
