/**
 * `npm run bench` (last step): local access-token verification through the
 * SDK (@authority/sdk, the built package) compared, in the same run, with the
 * raw signature check it is built on:
 *   - Node: verifier.verify() vs crypto.verify with a cached KeyObject and
 *     pre-decoded buffers (target: at least 80% of raw for RS256);
 *   - workerd (Miniflare): the same verifier inside a Worker (WebCrypto
 *     implementation) vs raw crypto.subtle.verify with one imported key,
 *     per CPU-second of the workerd process.
 * RS256 tokens and JWKS come from the built Node server on real Postgres and
 * Redis (the JWKS is fetched once; the figures measure verification only);
 * ES256 and EdDSA use local keys. Figures are printed, not asserted.
 */
import { createPublicKey, type KeyObject, verify } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createVerifier } from "@authority/sdk";
import { exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { Miniflare } from "miniflare";
import { bundleSdkWorker, WORKER_COMPATIBILITY } from "../test/sdk/worker/bundle.js";
import { cpuSeconds, pct, printLine, processCpuSeconds, withDatabase, withServer } from "./support.js";

const NODE_COUNT = Number(process.env.BENCH_SDK_VERIFICATIONS ?? 20_000);
const WORKER_COUNT = Number(process.env.BENCH_SDK_WORKER_VERIFICATIONS ?? 20_000);
const TARGET = 0.8;

interface Pair {
  sdk: number;
  raw: number;
}

const RAW_PARAMS = {
  RS256: (key: KeyObject) => ({ algorithm: "sha256", key }),
  ES256: (key: KeyObject) => ({ algorithm: "sha256", key: { key, dsaEncoding: "ieee-p1363" as const } }),
  EdDSA: (key: KeyObject) => ({ algorithm: null, key }),
};

/** Verifications per CPU-second: the SDK (sequential awaits) and raw crypto.verify, alternated twice each. */
async function nodeFigures(
  token: string,
  jwk: JWK,
  alg: keyof typeof RAW_PARAMS,
  verifier: ReturnType<typeof createVerifier>,
) {
  const [header, payload, signature] = token.split(".") as [string, string, string];
  const data = Buffer.from(`${header}.${payload}`);
  const sig = Buffer.from(signature, "base64url");
  const raw = RAW_PARAMS[alg](createPublicKey({ key: jwk as never, format: "jwk" }));
  const first = await verifier.verify(token);
  if (!first.ok) throw new Error(`the SDK refused the benchmark token: ${first.reason} (${first.description})`);
  const runRaw = (n: number) => {
    for (let i = 0; i < n; i++) if (!verify(raw.algorithm, data, raw.key, sig)) throw new Error("raw verify failed");
  };
  const runSdk = async (n: number) => {
    for (let i = 0; i < n; i++) if (!(await verifier.verify(token)).ok) throw new Error("SDK verify failed");
  };
  runRaw(2_000);
  await runSdk(2_000);
  const best: Pair = { sdk: 0, raw: 0 };
  for (let round = 0; round < 2; round++) {
    let before = cpuSeconds();
    runRaw(NODE_COUNT);
    best.raw = Math.max(best.raw, NODE_COUNT / (cpuSeconds() - before));
    before = cpuSeconds();
    await runSdk(NODE_COUNT);
    best.sdk = Math.max(best.sdk, NODE_COUNT / (cpuSeconds() - before));
  }
  return best;
}

/** A token and JWKS of a local key (ES256, EdDSA), served to the verifier by a fetch stub. */
async function localCase(alg: "ES256" | "EdDSA") {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: "k1", alg, use: "sig" };
  const issuer = "https://auth.bench.test/t/local";
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({
    sub: "u",
    sid: "s",
    tid: "t",
    client_id: "c",
    scope: "openid profile email",
    jti: "j",
  })
    .setProtectedHeader({ alg, kid: "k1", typ: "at+jwt" })
    .setIssuer(issuer)
    .setAudience(issuer)
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + 3_600)
    .sign(privateKey);
  const verifier = createVerifier({
    issuer,
    audience: issuer,
    fetch: async () => Response.json({ keys: [jwk] }, { headers: { "Cache-Control": "max-age=3600" } }),
  });
  return nodeFigures(token, jwk, alg, verifier);
}

/** The workerd process Miniflare started (a child of this process). */
function workerdPid(): number | null {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const comm = /\(([^)]*)\)/.exec(stat)?.[1];
      const ppid = Number(stat.split(") ")[1]?.split(" ")[1]);
      if (comm === "workerd" && ppid === process.pid) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return null;
}

async function workerFigures(
  issuer: string,
  jwksUrl: string,
  token: string,
  jwk: JWK,
): Promise<Pair & { clock: string }> {
  const dir = await mkdtemp(join(tmpdir(), "sdk-bench-"));
  const script = await bundleSdkWorker(join(dir, "worker.js"), join(process.cwd(), "test/sdk/worker/sdk-worker.ts"));
  const mf = new Miniflare({
    modules: true,
    scriptPath: script,
    modulesRoot: dir,
    ...WORKER_COMPATIBILITY,
    bindings: { ISSUER: issuer, JWKS_URL: jwksUrl, SERVICE_KEY: "unused" },
  });
  try {
    await mf.ready;
    const pid = workerdPid();
    const clock = pid ? () => processCpuSeconds(pid) : () => performance.now() / 1000;
    const post = async (path: string, body: unknown) => {
      const response = await mf.dispatchFetch(`http://bench.test${path}`, {
        method: "POST",
        body: JSON.stringify(body),
      });
      const text = await response.text();
      if (response.status !== 200) throw new Error(`${path}: ${response.status} ${text}`);
      const { valid } = JSON.parse(text) as { valid: number };
      if (valid !== (body as { n: number }).n) throw new Error(`${path}: only ${valid} valid`);
    };
    await post("/bench", { token, n: 500 });
    await post("/bench-raw", { token, n: 500, jwk });
    const best: Pair = { sdk: 0, raw: 0 };
    for (let round = 0; round < 2; round++) {
      let before = clock();
      await post("/bench-raw", { token, n: WORKER_COUNT, jwk });
      best.raw = Math.max(best.raw, WORKER_COUNT / (clock() - before));
      before = clock();
      await post("/bench", { token, n: WORKER_COUNT });
      best.sdk = Math.max(best.sdk, WORKER_COUNT / (clock() - before));
    }
    return { ...best, clock: pid ? "per workerd CPU-second" : "per wall-clock second (workerd pid not found)" };
  } finally {
    await mf.dispose();
    await rm(dir, { recursive: true, force: true });
  }
}

function printPair(label: string, pair: Pair, unit: string, target?: number) {
  printLine(`raw ${label}:`, `${pair.raw.toFixed(0)} ${unit}`);
  printLine(`SDK verify (${label.split(" ")[0]}):`, `${pair.sdk.toFixed(0)} ${unit}`);
  const verdict =
    target === undefined ? "" : pair.sdk / pair.raw >= target ? " (target >= 80%: pass)" : " (target >= 80%: miss)";
  printLine("SDK / raw:", `${pct(pair.sdk, pair.raw)}${verdict}`);
}

await withDatabase((url) =>
  withServer(url, "sdkbench", async (server) => {
    const signup = await server.post<{ access_token: string }>(
      `/t/${server.tenant}/v1/signup`,
      { email: "sdk-bench@example.com", password: "correct horse battery staple" },
      201,
    );
    const token = signup.access_token;
    const issuer = `https://bench.test/t/${server.tenant}`;
    const jwksUrl = `${server.base}/t/${server.tenant}/.well-known/jwks.json`;
    const jwks = (await (await fetch(jwksUrl)).json()) as { keys: JWK[] };
    const kid = JSON.parse(Buffer.from(token.split(".")[0] as string, "base64url").toString()).kid;
    const jwk = jwks.keys.find((k) => k.kid === kid) as JWK;
    const verifier = createVerifier({ issuer, audience: issuer, jwksUrl });

    const rs = await nodeFigures(token, jwk, "RS256", verifier);
    const es = await localCase("ES256");
    const ed = await localCase("EdDSA");
    const edge = await workerFigures(issuer, jwksUrl, token, jwk);

    console.log(`\nSDK token verification (${verifier.backend} on Node, one core, sequential):`);
    printPair("RS256 crypto.verify", rs, "per CPU-second", TARGET);
    printPair("ES256 crypto.verify", es, "per CPU-second", TARGET);
    printPair("EdDSA crypto.verify", ed, "per CPU-second", TARGET);
    console.log(`\nSDK token verification inside workerd (webcrypto, RS256, ${edge.clock}):`);
    printPair("RS256 crypto.subtle.verify", edge, edge.clock.split(" (")[0] as string);
  }),
);
