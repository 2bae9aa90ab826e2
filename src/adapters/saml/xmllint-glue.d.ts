/** Types for the vendored Emscripten glue of xmllint-wasm (xmllint-glue.js): only the options this project passes. */
export interface XmllintFile {
  /** A path in the process's in-memory file system, relative to "/". */
  fileName: string;
  contents: string | Uint8Array;
}

export interface XmllintModuleOptions {
  /** Written to the in-memory file system before main() runs. */
  inputFiles: XmllintFile[];
  /** argv[1..] of xmllint. */
  arguments: string[];
  print(text: string): void;
  printErr(text: string): void;
  /** Called with main()'s exit code. */
  onExit(code: number): void;
  onAbort?(reason: unknown): void;
  /** Imported by the WASM as its memory; at least 256 pages (16 MiB). */
  wasmMemory: WebAssembly.Memory;
  /**
   * Emscripten's hook: instantiate the module with `imports` and hand the
   * instance to `done`. Returning `{}` tells the glue the result comes later.
   */
  instantiateWasm(imports: WebAssembly.Imports, done: (instance: WebAssembly.Instance) => void): object;
}

/** Runs one xmllint process; settles after main() has returned or exited. */
declare function createXmllint(options: XmllintModuleOptions): Promise<unknown>;
export default createXmllint;
