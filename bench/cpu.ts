/**
 * `npm run bench` (after the vitest benchmarks): CPU cost of login and token
 * signing compared with their raw primitives, measured in the same run.
 *   - logins per server CPU-second (the built Node server on real Postgres and
 *     Redis, driven over HTTP) vs raw argon2id verifications per CPU-second;
 *   - access tokens issued per CPU-second vs raw RS256 JWT signatures.
 * Figures are printed, not asserted.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { hash, verify } from "@node-rs/argon2";
import { generateKeyPair, SignJWT } from "jose";
import pg from "pg";
import { migratePostgres } from "../src/adapters/postgres/migrate-pg.js";
import { createPgDatabase } from "../src/adapters/postgres/pg.js";
import { silentLogger } from "../src/adapters/telemetry/console-logger.js";
import { Sealer } from "../src/core/crypto/sealing.js";
import { cryptoRandom, systemClock } from "../src/core/ports/clock.js";
import { KeyRingService } from "../src/core/signing/key-ring.js";
import { TenantService } from "../src/core/tenants.js";
import { AccessTokens } from "../src/core/tokens/access-token.js";

const POSTGRES = process.env.TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const REDIS = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const LOGINS = Number(process.env.BENCH_LOGINS ?? 300);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 2);
const TICKS_PER_SECOND = 100; // getconf CLK_TCK on Linux

const cpuSeconds = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
};
/** utime + stime of another process, from /proc (Linux). */
const processCpuSeconds = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
};

async function inParallel(count: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) await work(next++);
    }),
  );
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function withDatabase<T>(work: (url: string) => Promise<T>): Promise<T> {
  const name = `authority_bench_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: POSTGRES });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  const url = new URL(POSTGRES);
  url.pathname = `/${name}`;
  try {
    await migratePostgres(url.toString(), `${process.cwd()}/migrations`);
    return await work(url.toString());
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  }
}

async function rawArgon2(): Promise<number> {
  const phc = await hash("correct horse battery staple", { memoryCost: 19456, timeCost: 2, parallelism: 1 });
  for (let i = 0; i < 5; i++) await verify(phc, "correct horse battery staple");
  const before = cpuSeconds();
  const count = Math.max(60, Math.floor(LOGINS / 2));
  await inParallel(count, async () => {
    await verify(phc, "correct horse battery staple");
  });
  return count / (cpuSeconds() - before);
}

async function serverLogins(url: string): Promise<number> {
  const port = await freePort();
  const adminKey = randomBytes(24).toString("hex");
  const child = spawn(process.execPath, ["dist/node/node.js"], {
    env: {
      PATH: process.env.PATH ?? "",
      APP_ENV: "test",
      PORT: String(port),
      HOST: "127.0.0.1",
      PUBLIC_URL: "https://bench.test",
      DATABASE_URL: url,
      REDIS_URL: REDIS,
      REDIS_KEY_PREFIX: `bench:${randomBytes(4).toString("hex")}:`,
      BOOTSTRAP_ADMIN_KEY: adminKey,
      ENCRYPTION_KEYS: `b1:${randomBytes(32).toString("base64")}`,
    },
    stdio: "ignore",
  });
  const base = `http://127.0.0.1:${port}`;
  try {
    for (let i = 0; ; i++) {
      if (
        await fetch(`${base}/healthz`).then(
          (r) => r.ok,
          () => false,
        )
      )
        break;
      if (i > 200) throw new Error("the server did not start");
      await new Promise((r) => setTimeout(r, 100));
    }
    const json = { "Content-Type": "application/json" };
    await fetch(`${base}/v1/admin/tenants`, {
      method: "POST",
      headers: { ...json, Authorization: `Bearer ${adminKey}` },
      body: JSON.stringify({ slug: "bench", name: "Bench" }),
    });
    const credentials = JSON.stringify({ email: "bench@example.com", password: "correct horse battery staple" });
    await fetch(`${base}/t/bench/v1/signup`, { method: "POST", headers: json, body: credentials });
    const login = async () => {
      const response = await fetch(`${base}/t/bench/v1/login`, { method: "POST", headers: json, body: credentials });
      if (response.status !== 200) throw new Error(`login answered ${response.status}`);
      await response.arrayBuffer();
    };
    await inParallel(Number(process.env.BENCH_WARMUP ?? 100), login);
    const before = processCpuSeconds(child.pid as number);
    await inParallel(LOGINS, login);
    return LOGINS / (processCpuSeconds(child.pid as number) - before);
  } finally {
    child.kill("SIGTERM");
  }
}

async function signing(url: string): Promise<{ ours: number; raw: number }> {
  const count = 3_000;
  const { privateKey } = await generateKeyPair("RS256");
  const claims = { sub: "u", sid: "s", tid: "t", scope: "openid", client_id: "c" };
  const sign = () => new SignJWT(claims).setProtectedHeader({ alg: "RS256", kid: "k", typ: "at+jwt" }).sign(privateKey);
  for (let i = 0; i < 100; i++) await sign();
  let before = cpuSeconds();
  for (let i = 0; i < count; i++) await sign();
  const raw = count / (cpuSeconds() - before);

  const db = createPgDatabase(url, { max: 2 });
  const deps = {
    sealer: await Sealer.create([{ id: "b", key: cryptoRandom.bytes(32) }], cryptoRandom),
    random: cryptoRandom,
    clock: systemClock,
    logger: silentLogger,
  };
  const keyRing = new KeyRingService(db, deps, {
    cacheMs: 3_600_000,
    jwksMaxAgeMs: 300_000,
    rotationIntervalMs: 30 * 86_400_000,
    clockSkewMs: 60_000,
  });
  const tokens = new AccessTokens(keyRing, deps, "https://bench.test");
  const tenant = await new TenantService(db, systemClock, cryptoRandom).create("signing", "Signing");
  const subject = { userId: "u", sessionId: "s", clientId: "c", scope: "openid", authTime: new Date(), amr: ["pwd"] };
  for (let i = 0; i < 100; i++) await tokens.issue(tenant, subject);
  before = cpuSeconds();
  for (let i = 0; i < count; i++) await tokens.issue(tenant, subject);
  const ours = count / (cpuSeconds() - before);
  await db.close();
  return { ours, raw };
}

const pct = (a: number, b: number) => `${((a / b) * 100).toFixed(1)}%`;
await withDatabase(async (url) => {
  const raw = await rawArgon2();
  const logins = await serverLogins(url);
  const sign = await signing(url);
  console.log("\nCPU benchmarks (2 concurrent clients, real Postgres and Redis):");
  console.log(`  raw argon2id verify (m=19456,t=2,p=1):   ${raw.toFixed(1)} per CPU-second`);
  console.log(`  POST /v1/login on the Node server:       ${logins.toFixed(1)} per server CPU-second`);
  console.log(`  login / raw argon2id:                    ${pct(logins, raw)} (target >= 85%)`);
  console.log(`  raw RS256 JWT signing (jose):            ${sign.raw.toFixed(0)} per CPU-second`);
  console.log(`  access-token issuance (AccessTokens):    ${sign.ours.toFixed(0)} per CPU-second`);
  console.log(`  issuance / raw signing:                  ${pct(sign.ours, sign.raw)}`);
});
