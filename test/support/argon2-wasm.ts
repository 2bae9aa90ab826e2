import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

/** The argon2 WASM module as the Worker gets it, compiled here from the package's file. */
export function argon2WasmModule(): WebAssembly.Module {
  const path = createRequire(import.meta.url).resolve("@phi-ag/argon2/argon2.wasm");
  return new WebAssembly.Module(readFileSync(path));
}
