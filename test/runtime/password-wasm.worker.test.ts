/**
 * The WASM password hasher inside workerd, loaded the way a deployed Worker
 * loads it: test/support/argon2-worker.ts is bundled by `wrangler deploy
 * --dry-run` (the .wasm import becomes a separate CompiledWasm module) and run
 * by Miniflare. Its hashes must verify with the native Node hasher and back.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNodeArgon2Hasher } from "../../src/adapters/passwords/node-argon2.js";
import { cryptoRandom } from "../../src/core/ports/clock.js";
import { CURRENT_PHC, FOREIGN_PHC, KNOWN_VECTORS } from "../contract/password-hasher.contract.js";
import { type BundledWorker, startBundledWorker } from "../support/bundled-worker.js";

const _ROOT = fileURLToPath(new URL("../../", import.meta.url));
const WORKER_SOURCE = fileURLToPath(new URL("../support/argon2-worker.ts", import.meta.url));

const native = createNodeArgon2Hasher(cryptoRandom);
let worker: BundledWorker;
const workerHash = (password: string) => worker.post<{ phc: string; ms: number }>("/hash", { password });
const workerVerify = (phc: string, password: string) =>
  worker.post<{ ok: boolean; ms: number }>("/verify", { phc, password });

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

beforeAll(async () => {
  worker = await startBundledWorker(WORKER_SOURCE);
}, 120_000);

afterAll(async () => {
  await worker?.close();
});

describe("WASM argon2 inside workerd (precompiled module)", () => {
  it("is bundled as a separate .wasm module, not as bytes compiled at run time", async () => {
    const files = await readdir(worker.bundle);
    const wasm = files.filter((f) => f.endsWith(".wasm"));
    expect(wasm).toHaveLength(1);
    const script = await readFile(join(worker.bundle, worker.script), "utf8");
    expect(script).toContain(`from "./${wasm[0]}"`);
  });

  it("runs where compiling WASM from bytes is refused", async () => {
    const { error } = await worker.post<{ error: string | null }>("/compile-from-bytes", {});
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
