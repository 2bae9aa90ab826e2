import { describe, expect, it } from "vitest";
import { createNodeArgon2Hasher } from "../../src/adapters/passwords/node-argon2.js";
import { createWasmArgon2Hasher, WASM_MAX_MEMORY_KIB } from "../../src/adapters/passwords/wasm-argon2.js";
import { cryptoRandom, type Random } from "../../src/core/ports/clock.js";
import { argon2WasmModule } from "../support/argon2-wasm.js";
import { CURRENT_PHC, passwordHasherContract } from "./password-hasher.contract.js";

/** The Workers adapter, on Node: the same .wasm, compiled here from the file's bytes. */
passwordHasherContract("WASM argon2 (the Workers build, run in Node)", () =>
  createWasmArgon2Hasher(argon2WasmModule(), cryptoRandom),
);

describe("native and WASM hashes cross runtimes", () => {
  it.each([["ascii password 123"], ["ünïcødé 🔑 密码"], [""], ["x".repeat(256)]])(
    "each verifies the other's hash of %j",
    async (password) => {
      const native = createNodeArgon2Hasher(cryptoRandom);
      const wasm = await createWasmArgon2Hasher(argon2WasmModule(), cryptoRandom);
      const fromNative = await native.hash(password);
      const fromWasm = await wasm.hash(password);
      expect(await wasm.verify(fromNative, password)).toBe(true);
      expect(await native.verify(fromWasm, password)).toBe(true);
      expect(await wasm.verify(fromNative, `${password}!`)).toBe(false);
      expect(await native.verify(fromWasm, `${password}!`)).toBe(false);
    },
  );

  it("write the same string for the same salt", async () => {
    const salt = Uint8Array.from({ length: 16 }, (_, i) => i * 7);
    const fixed: Random = { ...cryptoRandom, bytes: (n) => salt.slice(0, n) };
    const native = await createNodeArgon2Hasher(fixed).hash("same input ✓");
    const wasm = await (await createWasmArgon2Hasher(argon2WasmModule(), fixed)).hash("same input ✓");
    expect(native).toMatch(CURRENT_PHC);
    expect(wasm).toBe(native);
  });

  it("one WASM instance keeps hashing and verifying across many calls", async () => {
    const wasm = await createWasmArgon2Hasher(argon2WasmModule(), cryptoRandom);
    const hashes = [];
    for (let i = 0; i < 5; i++) hashes.push(await wasm.hash(`password ${i}`));
    for (let i = 0; i < 5; i++) expect(await wasm.verify(hashes[i] as string, `password ${i}`)).toBe(true);
    expect(new Set(hashes).size).toBe(5);
  });

  it("the WASM adapter refuses stored strings asking for more memory than a Workers isolate can spare", async () => {
    // From the reference CLI: printf pw | argon2 somesaltsomesalt -id -m 17 -t 1 -p 1 -l 32 -e (128 MiB).
    const big = "$argon2id$v=19$m=131072,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$Z9GN/sczlNoxanljTPUX7NqTJ1mQ/ADpPfnbqf7NInY";
    expect(131072).toBeGreaterThan(WASM_MAX_MEMORY_KIB);
    expect(await createNodeArgon2Hasher(cryptoRandom).verify(big, "pw")).toBe(true);
    const wasm = await createWasmArgon2Hasher(argon2WasmModule(), cryptoRandom);
    const started = performance.now();
    expect(await wasm.verify(big, "pw")).toBe(false);
    expect(performance.now() - started).toBeLessThan(50);
  });
});
