/**
 * Access-token verification through the SDK (@authority/sdk, the built
 * package), in this process, against the running service's JWKS (fetched
 * once over loopback; the figures measure verification): the service's own
 * access tokens of the run's sessions, verified in turn, compared in the same
 * run with the raw signature check it is built on (crypto.verify with a
 * cached KeyObject and pre-decoded buffers). Rounds alternate and the best
 * of each counts, which keeps one noisy round from deciding the ratio.
 * Kept from the former bench/sdk.ts: the same pair for ES256 and EdDSA on
 * local keys.
 */
import { createPublicKey, type KeyObject, verify } from "node:crypto";
import { createVerifier } from "@authority/sdk";
import { exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import type { LoadRun } from "./load.js";
import { endpointOf } from "./phase.js";
import type { EndpointResult, RawLimit } from "./results.js";
import { LatencyRecorder } from "./stats.js";
import { cpuSeconds } from "./support.js";
import type { Target } from "./target.js";
import { Timeline, timelineStepS } from "./timeline.js";

const RAW_PARAMS = {
  RS256: (key: KeyObject) => ({ algorithm: "sha256", key }),
  ES256: (key: KeyObject) => ({ algorithm: "sha256", key: { key, dsaEncoding: "ieee-p1363" as const } }),
  EdDSA: (key: KeyObject) => ({ algorithm: null, key }),
};
type Alg = keyof typeof RAW_PARAMS;
type Verifier = ReturnType<typeof createVerifier>;

interface Pair {
  sdk: number;
  raw: number;
  /** Latencies of the SDK calls of the last round (ms), and their timeline. */
  latency: LatencyRecorder;
  timeline: Timeline;
  wallS: number;
}

async function measurePair(tokens: string[], jwk: JWK, alg: Alg, verifier: Verifier, count: number): Promise<Pair> {
  const [header, payload, signature] = (tokens[0] as string).split(".") as [string, string, string];
  const data = Buffer.from(`${header}.${payload}`);
  const sig = Buffer.from(signature, "base64url");
  const raw = RAW_PARAMS[alg](createPublicKey({ key: jwk as never, format: "jwk" }));
  const runRaw = (n: number) => {
    for (let i = 0; i < n; i++) if (!verify(raw.algorithm, data, raw.key, sig)) throw new Error("raw verify failed");
  };
  const latency = new LatencyRecorder();
  const timeline = new Timeline(timelineStepS(0));
  let wallS = 0;
  const runSdk = async (n: number, record: boolean) => {
    const started = performance.now();
    for (let i = 0; i < n; i++) {
      const at = performance.now();
      const result = await verifier.verify(tokens[i % tokens.length] as string);
      if (!result.ok) throw new Error(`the SDK refused a live token: ${result.reason} (${result.description})`);
      if (record) {
        const now = performance.now();
        latency.record(now - at);
        timeline.answer((now - started) / 1000, now - at);
      }
    }
    if (record) wallS = (performance.now() - started) / 1000;
  };
  runRaw(Math.min(2_000, count));
  await runSdk(Math.min(2_000, count), false);
  const best = { sdk: 0, raw: 0 };
  for (let round = 0; round < 2; round++) {
    let before = cpuSeconds();
    runRaw(count);
    best.raw = Math.max(best.raw, count / (cpuSeconds() - before));
    before = cpuSeconds();
    await runSdk(count, round === 1);
    best.sdk = Math.max(best.sdk, count / (cpuSeconds() - before));
  }
  return { ...best, latency, timeline, wallS };
}

/** SDK verification of the service's tokens: an endpoint result held against raw crypto.verify, and that raw limit. */
export async function sdkVerification(
  target: Target,
  accessTokens: string[],
  count: number,
): Promise<{ endpoint: EndpointResult; raw: RawLimit }> {
  const issuer = `https://bench.test/t/${target.tenant}`;
  const jwksUrl = `${target.base}/t/${target.tenant}/.well-known/jwks.json`;
  const jwks = JSON.parse((await target.call("GET", `/t/${target.tenant}/.well-known/jwks.json`)).body) as {
    keys: JWK[];
  };
  const header = JSON.parse(Buffer.from((accessTokens[0] as string).split(".")[0] as string, "base64url").toString());
  const { kid, alg } = header as { kid: string; alg: Alg };
  const jwk = jwks.keys.find((k) => k.kid === kid);
  if (!jwk) throw new Error(`the JWKS lacks the tokens' key ${kid}`);
  const verifier = createVerifier({ issuer, audience: issuer, jwksUrl });
  const pair = await measurePair(accessTokens, jwk, alg, verifier, count);
  const raw: RawLimit = { name: `${alg} crypto.verify (cached KeyObject)`, perCpuSecond: pair.raw };
  const run: LoadRun = {
    startedAt: Date.now() - pair.wallS * 1000,
    durationS: pair.wallS,
    connections: 1,
    requests: count,
    errors: 0,
    errorSamples: {},
    latency: pair.latency,
    stepS: pair.timeline.stepS,
    timeline: pair.timeline.close(),
  };
  const endpoint = endpointOf(
    {
      key: "sdk.verify",
      label: `SDK verifier.verify() (${verifier.backend}, ${accessTokens.length} tokens, sequential)`,
      flow: { next: () => ({ method: "GET", path: "/" }), check: () => undefined },
      connections: 1,
      maxRequests: count,
      durationS: 0,
      raw,
    },
    null,
    run,
    count / pair.sdk,
  );
  if (endpoint.cpu) endpoint.cpu.process = "this process (in-process)";
  return { endpoint, raw };
}

/** The same pair on a local key (ES256, EdDSA), the JWKS served by a fetch stub: SDK and raw per CPU-second. */
export async function localPair(alg: "ES256" | "EdDSA", count: number): Promise<{ sdk: number; raw: number }> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: "k1", alg, use: "sig" };
  const issuer = "https://auth.bench.test/t/local";
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({ sub: "u", sid: "s", tid: "t", client_id: "c", scope: "openid", jti: "j" })
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
  const { sdk, raw } = await measurePair([token], jwk, alg, verifier, count);
  return { sdk, raw };
}
