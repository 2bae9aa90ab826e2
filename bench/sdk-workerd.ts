/**
 * Kept from the former bench/sdk.ts: the SDK's verifier inside a Worker
 * (test/sdk/worker/sdk-worker.ts bundled as a Workers project would, the
 * WebCrypto implementation) against raw crypto.subtle.verify with one
 * imported key, per CPU-second of the workerd process, on a token and JWK of
 * the running service. Verification only: the Worker loops in one request.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { JWK } from "jose";
import { Miniflare } from "miniflare";
import { bundleSdkWorker, WORKER_COMPATIBILITY } from "../test/sdk/worker/bundle.js";
import { newWorkerdPid, processCpuSeconds, workerdPids } from "./support.js";
import type { Target } from "./target.js";

export interface WorkerdPair {
  sdk: number;
  raw: number;
  /** "per workerd CPU-second", or wall-clock when the workerd process was not found. */
  clock: string;
}

export async function sdkInWorkerd(target: Target, token: string, count: number): Promise<WorkerdPair> {
  const issuer = `https://bench.test/t/${target.tenant}`;
  const jwksPath = `/t/${target.tenant}/.well-known/jwks.json`;
  const jwks = JSON.parse((await target.call("GET", jwksPath)).body) as { keys: JWK[] };
  const kid = JSON.parse(Buffer.from(token.split(".")[0] as string, "base64url").toString()).kid;
  const jwk = jwks.keys.find((k) => k.kid === kid) as JWK;
  const dir = await mkdtemp(join(tmpdir(), "sdk-bench-"));
  const script = await bundleSdkWorker(join(dir, "worker.js"), join(process.cwd(), "test/sdk/worker/sdk-worker.ts"));
  const before = workerdPids();
  const mf = new Miniflare({
    modules: true,
    scriptPath: script,
    modulesRoot: dir,
    ...WORKER_COMPATIBILITY,
    bindings: { ISSUER: issuer, JWKS_URL: `${target.base}${jwksPath}`, SERVICE_KEY: "unused" },
  });
  try {
    await mf.ready;
    const pid = newWorkerdPid(before);
    const clock = pid ? () => processCpuSeconds(pid) : () => performance.now() / 1000;
    const post = async (path: string, body: { n: number } & Record<string, unknown>) => {
      const response = await mf.dispatchFetch(`http://bench.test${path}`, {
        method: "POST",
        body: JSON.stringify(body),
      });
      const text = await response.text();
      if (response.status !== 200) throw new Error(`${path}: ${response.status} ${text}`);
      const { valid } = JSON.parse(text) as { valid: number };
      if (valid !== body.n) throw new Error(`${path}: only ${valid} valid`);
    };
    await post("/bench", { token, n: 500 });
    await post("/bench-raw", { token, n: 500, jwk });
    const best = { sdk: 0, raw: 0 };
    for (let round = 0; round < 2; round++) {
      let start = clock();
      await post("/bench-raw", { token, n: count, jwk });
      best.raw = Math.max(best.raw, count / (clock() - start));
      start = clock();
      await post("/bench", { token, n: count });
      best.sdk = Math.max(best.sdk, count / (clock() - start));
    }
    return { ...best, clock: pid ? "per workerd CPU-second" : "per wall-clock second (workerd pid not found)" };
  } finally {
    await mf.dispose();
    await rm(dir, { recursive: true, force: true });
  }
}
