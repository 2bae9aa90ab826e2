import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";

/**
 * Node: xmllint-wasm's xmllint.wasm compiled from the installed package's
 * file, once (at start), for createXmllintSchemaValidator. Workers import the
 * same file instead (`import xmllintWasm from "xmllint-wasm/xmllint.wasm"`),
 * which wrangler turns into a precompiled module.
 */
export async function loadXmllintWasm(): Promise<WebAssembly.Module> {
  const path = createRequire(import.meta.url).resolve("xmllint-wasm/xmllint.wasm");
  return WebAssembly.compile(await readFile(path));
}
