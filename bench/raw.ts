/**
 * The raw cryptographic limits the service is held against, measured in the
 * same run on this process (per CPU-second of all its threads):
 *   - argon2id verification with the service's parameters (@node-rs/argon2,
 *     m=19456, t=2, p=1): what a login cannot beat;
 *   - the service's own access-token issuance (AccessTokens, in-process on
 *     real Postgres), held against raw node:crypto signing
 *     (bench/references.ts, which also holds the signing floors).
 * (The raw RS256 verify limit of SDK verification is measured by bench/sdk.ts
 * on the service's own key.)
 */
import { hash, verify } from "@node-rs/argon2";
import { createPgDatabase } from "../src/adapters/postgres/pg.js";
import { silentLogger } from "../src/adapters/telemetry/console-logger.js";
import { Sealer } from "../src/core/crypto/sealing.js";
import { cryptoRandom, systemClock } from "../src/core/ports/clock.js";
import { noopMetrics } from "../src/core/ports/telemetry.js";
import { KeyRingService } from "../src/core/signing/key-ring.js";
import { TenantService } from "../src/core/tenants.js";
import { AccessTokens } from "../src/core/tokens/access-token.js";
import type { RawLimit } from "./results.js";
import { BENCH_ENCRYPTION_KEY, cpuSeconds, inParallel } from "./support.js";

const PASSWORD = "correct horse battery staple";
const ARGON2_PARAMS = { memoryCost: 19456, timeCost: 2, parallelism: 1 };

/** Calls `run(n)` in growing batches until `minCpuS` CPU-seconds were spent; operations per CPU-second. */
async function perCpuSecond(run: (n: number) => Promise<void>, minCpuS: number, batch: number): Promise<number> {
  let count = 0;
  const before = cpuSeconds();
  while (cpuSeconds() - before < minCpuS) {
    await run(batch);
    count += batch;
  }
  return count / (cpuSeconds() - before);
}

/**
 * argon2id verifications per CPU-second, the better of 1 and 2 in flight (the
 * native work runs on libuv's pool): the reference is the cheapest raw verify,
 * and two at once on two cores cost each other about 10-20% more CPU apiece.
 */
export async function rawArgon2(minCpuS = 1): Promise<RawLimit> {
  const phc = await hash(PASSWORD, ARGON2_PARAMS);
  for (let i = 0; i < 4; i++) await verify(phc, PASSWORD);
  let best = { inFlight: 0, rate: 0 };
  for (const inFlight of [1, 2]) {
    const rate = await perCpuSecond(
      (n) =>
        inParallel(n, inFlight, async () => {
          if (!(await verify(phc, PASSWORD))) throw new Error("argon2id verify failed");
        }),
      minCpuS,
      8,
    );
    if (rate > best.rate) best = { inFlight, rate };
  }
  return {
    name: `argon2id verify (m=19456,t=2,p=1, @node-rs/argon2, ${best.inFlight} in flight)`,
    perCpuSecond: best.rate,
  };
}

/** The service's AccessTokens.issue (key ring cached, RS256) per CPU-second, in-process on `databaseUrl`. */
export async function accessTokenIssuance(databaseUrl: string, minCpuS = 1): Promise<RawLimit> {
  const db = createPgDatabase(databaseUrl, { max: 2 });
  try {
    const deps = {
      sealer: await Sealer.create([BENCH_ENCRYPTION_KEY], cryptoRandom),
      random: cryptoRandom,
      clock: systemClock,
      logger: silentLogger,
      metrics: noopMetrics,
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
    for (let i = 0; i < 50; i++) await tokens.issue(tenant, subject);
    const rate = await perCpuSecond(
      async (n) => {
        for (let i = 0; i < n; i++) await tokens.issue(tenant, subject);
      },
      minCpuS,
      50,
    );
    return { name: "access-token issuance (AccessTokens, in-process)", perCpuSecond: rate };
  } finally {
    await db.close();
  }
}
