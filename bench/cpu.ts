/**
 * `npm run bench` (after the vitest benchmarks): CPU cost of login and token
 * signing compared with their raw primitives, measured in the same run.
 *   - logins per server CPU-second (the built Node server on real Postgres and
 *     Redis, driven over HTTP) vs raw argon2id verifications per CPU-second;
 *   - access tokens issued per CPU-second vs raw RS256 JWT signatures;
 *   - refresh tokens (bench/refresh.ts): refreshes per server CPU-second vs the
 *     same raw RS256 signing figure, latency at 50 clients, Redis bytes per session;
 *   - service calls (bench/service.ts): API-key verification (cache hit and
 *     miss) and token introspection (access and refresh token) per server
 *     CPU-second, and their latency at 20 clients.
 * Figures are printed, not asserted.
 */
import { hash, verify } from "@node-rs/argon2";
import { generateKeyPair, SignJWT } from "jose";
import { createPgDatabase } from "../src/adapters/postgres/pg.js";
import { silentLogger } from "../src/adapters/telemetry/console-logger.js";
import { Sealer } from "../src/core/crypto/sealing.js";
import { cryptoRandom, systemClock } from "../src/core/ports/clock.js";
import { KeyRingService } from "../src/core/signing/key-ring.js";
import { TenantService } from "../src/core/tenants.js";
import { AccessTokens } from "../src/core/tokens/access-token.js";
import { printRefreshFigures, refreshFigures } from "./refresh.js";
import { printServiceFigures, serviceFigures } from "./service.js";
import { CONCURRENCY, cpuSeconds, inParallel, pct, withDatabase, withServer } from "./support.js";

const LOGINS = Number(process.env.BENCH_LOGINS ?? 300);

async function rawArgon2(): Promise<number> {
  const phc = await hash("correct horse battery staple", { memoryCost: 19456, timeCost: 2, parallelism: 1 });
  for (let i = 0; i < 5; i++) await verify(phc, "correct horse battery staple");
  const before = cpuSeconds();
  const count = Math.max(60, Math.floor(LOGINS / 2));
  await inParallel(count, CONCURRENCY, async () => {
    await verify(phc, "correct horse battery staple");
  });
  return count / (cpuSeconds() - before);
}

function serverLogins(url: string): Promise<number> {
  return withServer(url, "bench", async (server) => {
    const credentials = { email: "bench@example.com", password: "correct horse battery staple" };
    await server.post("/t/bench/v1/signup", credentials, 201);
    const login = async () => {
      await server.post("/t/bench/v1/login", credentials);
    };
    await inParallel(Number(process.env.BENCH_WARMUP ?? 100), CONCURRENCY, login);
    const before = server.cpu();
    await inParallel(LOGINS, CONCURRENCY, login);
    return LOGINS / (server.cpu() - before);
  });
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
  printRefreshFigures(await refreshFigures(url), sign.raw);
  printServiceFigures(await serviceFigures(url));
});
