/**
 * A tiny Worker around the WASM password hasher, for
 * test/runtime/password-wasm.worker.test.ts: bundled by wrangler (which turns
 * the .wasm import into a precompiled WebAssembly.Module, as for the real
 * entry) and run inside workerd by Miniflare.
 *
 *   POST /hash    {password}       -> {phc, ms}
 *   POST /verify  {phc, password}  -> {ok, ms}
 *   POST /compile-from-bytes       -> {error}: what workerd says to WebAssembly.compile(bytes)
 */
import argon2Wasm from "@phi-ag/argon2/argon2.wasm";
import { createWasmArgon2Hasher } from "../../src/adapters/passwords/wasm-argon2.js";
import { cryptoRandom } from "../../src/core/ports/clock.js";
import type { PasswordHasher } from "../../src/core/ports/password-hasher.js";
import { compileFromBytes } from "./wasm-probe.js";

let hasher: Promise<PasswordHasher> | undefined;

export default {
  async fetch(request: Request): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (request.method !== "POST") return new Response("method not allowed", { status: 405 });
    if (pathname === "/compile-from-bytes") return compileFromBytes();
    hasher ??= createWasmArgon2Hasher(argon2Wasm, cryptoRandom);
    const passwords = await hasher;
    const body = (await request.json()) as { password: string; phc?: string };
    const started = performance.now();
    if (pathname === "/hash") {
      const phc = await passwords.hash(body.password);
      return Response.json({ phc, ms: performance.now() - started });
    }
    if (pathname === "/verify") {
      const ok = await passwords.verify(body.phc ?? "", body.password);
      return Response.json({ ok, ms: performance.now() - started });
    }
    return new Response("not found", { status: 404 });
  },
} satisfies ExportedHandler;
