/** The smallest valid module: magic number and version. */
const EMPTY_WASM = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);

/**
 * For the test Workers: what workerd says to compiling WebAssembly from bytes
 * at run time (it refuses; a .wasm must arrive as a precompiled module).
 */
export async function compileFromBytes(): Promise<Response> {
  try {
    await WebAssembly.compile(EMPTY_WASM);
    return Response.json({ error: null });
  } catch (error) {
    return Response.json({ error: String(error) });
  }
}
