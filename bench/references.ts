/**
 * The floors the service's fixed costs are held against, measured in the
 * same run as the service:
 *   - `GET /healthz` answering the service's JSON from a bare Hono app on
 *     @hono/node-server and from bare node:http (bench/bare-server.mjs), each
 *     a child process loaded and clocked exactly as the service is (same
 *     load generator, connections and requests; CPU from /proc);
 *   - JWS signatures with node:crypto (a KeyObject made once, the signing
 *     input of an access token), per CPU-second of this process: the fastest
 *     primitive there is, so the reference a refresh cannot beat.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import type { SigningAlgorithm } from "../src/core/ports/database.js";
import type { RawLimit } from "./results.js";
import { cpuSeconds, freePort, processCpuSeconds, sleep } from "./support.js";
import { httpClient, LogScan, settleCpu, type Target } from "./target.js";

export type BareKind = "hono" | "http";

export const BARE_LABELS: Record<BareKind, string> = {
  hono: "bare Hono on @hono/node-server",
  http: "bare node:http",
};

const START_TIMEOUT_MS = 10_000;

/** A bare server answering `GET /healthz`, as a Target for runPhase; `close` stops it. */
export async function startBareServer(
  kind: BareKind,
  nodeArgs: string[] = [],
): Promise<Target & { pid: number; close(): Promise<void> }> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, "bench/bare-server.mjs", kind, String(port)], {
    env: { PATH: process.env.PATH ?? "" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs = new LogScan();
  let output = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    output += chunk;
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => logs.write(chunk));
  const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
  // SIGINT: the process exits normally, so a --cpu-prof profile is written.
  const close = async () => {
    if (child.exitCode === null) child.kill("SIGINT");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!output.includes("listening")) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await close();
      throw new Error(`the ${BARE_LABELS[kind]} server did not start: ${logs.tail()}`);
    }
    await sleep(50);
  }
  const base = `http://127.0.0.1:${port}`;
  const cpu = () => processCpuSeconds(child.pid as number);
  return {
    runtime: "node",
    process: BARE_LABELS[kind],
    pid: child.pid as number,
    base,
    tenant: "",
    headers: {},
    logs,
    ...httpClient(base, {}, (message) => new Error(message)),
    cpu,
    settle: () => settleCpu(cpu),
    close,
  };
}

/** The signing input of a typical access token (header and claims as the service writes them). */
function signingInput(alg: SigningAlgorithm): Buffer {
  const now = Math.floor(Date.now() / 1000);
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const claims = {
    iss: "https://bench.test/t/bench",
    sub: "0b6f4c1e-8d5a-4c1e-9f6a-2b3c4d5e6f70",
    aud: "https://bench.test/t/bench",
    exp: now + 600,
    iat: now,
    nbf: now,
    jti: "Yq3v8cJ0cX1m2n3b4v5c6x",
    sid: "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f",
    tid: "2d3e4f5a-6b7c-4d8e-9fa0-b1c2d3e4f5a6",
    client_id: "first-party",
    scope: "openid profile email",
    auth_time: now,
    amr: ["pwd"],
    acr: "urn:authority:acr:pwd",
  };
  return Buffer.from(`${part({ typ: "at+jwt", kid: "k", alg })}.${part(claims)}`);
}

const KEYS: Record<SigningAlgorithm, () => KeyObject> = {
  RS256: () => generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey,
  ES256: () => generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey,
  EdDSA: () => generateKeyPairSync("ed25519").privateKey,
};

/** RFC 7518 §3.3 / §3.4 (R || S) and RFC 8037 §3.1, as the service's node:crypto adapter signs. */
function signer(alg: SigningAlgorithm, key: KeyObject): (input: Buffer) => Buffer {
  if (alg === "EdDSA") return (input) => sign(null, input, key);
  if (alg === "ES256") return (input) => sign("sha256", input, { key, dsaEncoding: "ieee-p1363" });
  return (input) => sign("sha256", input, key);
}

const SIGNING_NAMES: Record<SigningAlgorithm, string> = {
  RS256: "RS256 signing (node:crypto, RSA-2048)",
  ES256: "ES256 signing (node:crypto, P-256)",
  EdDSA: "EdDSA signing (node:crypto, Ed25519)",
};

/** JWS signatures per CPU-second of this process, node:crypto, one KeyObject, sequential. */
export function rawSigning(alg: SigningAlgorithm, minCpuS = 1): RawLimit {
  const run = signer(alg, KEYS[alg]());
  const input = signingInput(alg);
  for (let i = 0; i < 200; i++) run(input);
  const batch = alg === "RS256" ? 50 : 500;
  let count = 0;
  const before = cpuSeconds();
  while (cpuSeconds() - before < minCpuS) {
    for (let i = 0; i < batch; i++) run(input);
    count += batch;
  }
  return { name: SIGNING_NAMES[alg], perCpuSecond: count / (cpuSeconds() - before) };
}
