/**
 * The WASM password hasher inside workerd, loaded the way a deployed Worker
 * loads it: test/support/argon2-worker.ts is bundled by `wrangler deploy
 * --dry-run` (the .wasm import becomes a separate CompiledWasm module) and run
 * by Miniflare. Its hashes must verify with the native Node hasher and back.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNodeArgon2Hasher } from "../../src/adapters/passwords/node-argon2.js";
import { cryptoRandom } from "../../src/core/ports/clock.js";
import { CURRENT_PHC, FOREIGN_PHC, KNOWN_VECTORS } from "../contract/password-hasher.contract.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const WORKER_SOURCE = fileURLToPath(new URL("../support/argon2-worker.ts", import.meta.url));
const WRANGLER = join(ROOT, "node_modules/wrangler/bin/wrangler.js");

const native = createNodeArgon2Hasher(cryptoRandom);
let dir: string;
let bundle: string;
let mf: Miniflare;

async function post<T>(path: string, body: unknown): Promise<T> {
  const response = await mf.dispatchFetch(`http://argon2.test${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  if (response.status !== 200) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}
const workerHash = (password: string) => post<{ phc: string; ms: number }>("/hash", { password });
const workerVerify = (phc: string, password: string) => post<{ ok: boolean; ms: number }>("/verify", { phc, password });

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "argon2-worker-"));
  bundle = join(dir, "out");
  const config = join(dir, "wrangler.toml");
  await writeFile(
    config,
    [
      'name = "argon2-worker-test"',
      `main = ${JSON.stringify(WORKER_SOURCE)}`,
      'compatibility_date = "2026-04-26"',
      'compatibility_flags = ["nodejs_compat"]',
      "",
    ].join("\n"),
  );
  // No [[rules]]: wrangler's default rules bundle `*.wasm` imports as CompiledWasm.
  await promisify(execFile)(
    process.execPath,
    [WRANGLER, "deploy", "--dry-run", "--outdir", bundle, "--config", config],
    {
      cwd: ROOT,
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", WRANGLER_LOG_PATH: join(dir, "logs"), NO_COLOR: "1" },
    },
  );
  mf = new Miniflare({
    modules: true,
    // wrangler names the bundle after `main`.
    scriptPath: join(bundle, "argon2-worker.js"),
    modulesRoot: bundle,
    // What wrangler uploads: the .wasm beside the script as a precompiled module.
    modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"] }],
    compatibilityDate: "2026-04-26",
    compatibilityFlags: ["nodejs_compat"],
  });
  await mf.ready;
}, 120_000);

afterAll(async () => {
  try {
    await mf?.dispose();
  } finally {
    if (dir) await rm(dir, { recursive: true, force: true });
  }
});

describe("WASM argon2 inside workerd (precompiled module)", () => {
  it("is bundled as a separate .wasm module, not as bytes compiled at run time", async () => {
    const files = await readdir(bundle);
    const wasm = files.filter((f) => f.endsWith(".wasm"));
    expect(wasm).toHaveLength(1);
    const script = await readFile(join(bundle, "argon2-worker.js"), "utf8");
    expect(script).toContain(`from "./${wasm[0]}"`);
  });

  it("runs where compiling WASM from bytes is refused", async () => {
    const { error } = await post<{ error: string | null }>("/compile-from-bytes", {});
    expect(error).toMatch(/disallowed/i);
  });

  it.each([["ascii password 123"], ["ünïcødé 🔑 密码"], [""], ["é".repeat(256)]])(
    "hashes %j so that Node verifies it, and verifies Node's hash",
    async (password) => {
      const { phc } = await workerHash(password);
      expect(phc).toMatch(CURRENT_PHC);
      expect(await native.verify(phc, password)).toBe(true);
      expect(await native.verify(phc, `${password}!`)).toBe(false);

      const fromNode = await native.hash(password);
      expect((await workerVerify(fromNode, password)).ok).toBe(true);
      expect((await workerVerify(fromNode, `${password}!`)).ok).toBe(false);
    },
  );

  it.each(KNOWN_VECTORS)("verifies the reference implementation's vector $phc", async ({ phc, password }) => {
    expect((await workerVerify(phc, password)).ok).toBe(true);
    expect((await workerVerify(phc, password.toUpperCase())).ok).toBe(false);
  });

  it.each(FOREIGN_PHC)("resolves false for a %s string", async (_label, phc) => {
    expect((await workerVerify(phc, "correct horse")).ok).toBe(false);
  });

  it("salts each hash afresh", async () => {
    const first = await workerHash("same");
    const second = await workerHash("same");
    expect(first.phc).not.toBe(second.phc);
  });

  it("prints the time per hash inside workerd (not asserted)", async () => {
    const inside: number[] = [];
    const roundTrip: number[] = [];
    const verifyInside: number[] = [];
    for (let i = 0; i < 7; i++) {
      const started = performance.now();
      const { phc, ms } = await workerHash(`password ${i}`);
      roundTrip.push(performance.now() - started);
      inside.push(ms);
      verifyInside.push((await workerVerify(phc, `password ${i}`)).ms);
    }
    console.log(
      `argon2id m=19456,t=2,p=1 in workerd (WASM, precompiled): hash median ${median(inside).toFixed(1)} ms ` +
        `inside the Worker, ${median(roundTrip).toFixed(1)} ms per request; verify median ${median(verifyInside).toFixed(1)} ms ` +
        `(7 runs; hash inside: ${inside.map((ms) => ms.toFixed(0)).join(", ")} ms)`,
    );
    expect(inside).toHaveLength(7);
  });
});
