import { parsePhc } from "../../core/passwords/phc.js";
import type { Random } from "../../core/ports/clock.js";
import { CURRENT_ARGON2, type PasswordHasher } from "../../core/ports/password-hasher.js";

/**
 * Workers: argon2id from the reference C implementation (P-H-C/phc-winner-argon2)
 * compiled to WASM with SIMD: the `argon2.wasm` that @phi-ag/argon2 ships.
 *
 * Workers refuse to compile WASM from bytes at run time, so the module is
 * injected already compiled. In the Worker entry:
 *
 *     import argon2Wasm from "@phi-ag/argon2/argon2.wasm";
 *     const passwords = await createWasmArgon2Hasher(argon2Wasm, cryptoRandom);
 *
 * wrangler bundles a `*.wasm` import as a precompiled WebAssembly.Module
 * (CompiledWasm, its default rule; no `[[rules]]` needed). Tests on Node pass
 * `new WebAssembly.Module(bytesOfTheFile)`.
 *
 * This binds the reference API (argon2_hash, argon2_verify) directly rather
 * than through the package's JavaScript wrapper: the wrapper passes a
 * password's UTF-16 length as its byte length, so it hashes only part of a
 * non-ASCII password and would not agree with the native hasher on Node.
 * Passwords are hashed as their UTF-8 bytes, without Unicode normalisation.
 *
 * The module has no imports; its memory (16 MiB at first) grows to about 19 MiB on the first
 * hash and never shrinks. A Workers isolate has 128 MiB in all, so stored
 * strings asking for more than WASM_MAX_MEMORY_KIB verify false here without
 * running (parsePhc's general bound, 256 MiB, would exceed the isolate). Calls
 * are synchronous inside, so one instance serves concurrent requests one at a
 * time.
 */
interface Argon2Exports {
  memory: WebAssembly.Memory;
  _initialize(): void;
  malloc(size: number): number;
  free(pointer: number): void;
  argon2_hash(
    t: number,
    m: number,
    p: number,
    pwd: number,
    pwdLen: number,
    salt: number,
    saltLen: number,
    hash: number,
    hashLen: number,
    encoded: number,
    encodedLen: number,
    type: number,
    version: number,
  ): number;
  argon2_verify(encoded: number, pwd: number, pwdLen: number, type: number): number;
  argon2_encodedlen(t: number, m: number, p: number, saltLen: number, hashLen: number, type: number): number;
}

/** The most memory a stored string may ask this adapter for: 64 MiB. */
export const WASM_MAX_MEMORY_KIB = 65_536;

const ARGON2ID = 2;
const VERSION_13 = 0x13;
const ARGON2_OK = 0;
const HASH_BYTES = 32;
const SALT_BYTES = 16;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export async function createWasmArgon2Hasher(module: WebAssembly.Module, random: Random): Promise<PasswordHasher> {
  const instance = await WebAssembly.instantiate(module, {});
  const wasm = instance.exports as unknown as Argon2Exports;
  wasm._initialize();

  /** A fresh view each time: the memory's buffer is replaced whenever it grows. */
  const heap = (pointer: number, length: number) => new Uint8Array(wasm.memory.buffer, pointer, length);

  /** Runs `work` with `buffers` copied into WASM memory, then wipes and frees them. */
  const withBuffers = <T>(buffers: Uint8Array[], work: (pointers: number[]) => T): T => {
    const pointers: number[] = [];
    try {
      for (const buffer of buffers) {
        const pointer = wasm.malloc(Math.max(buffer.length, 1));
        if (pointer === 0) throw new Error("argon2: out of WASM memory");
        pointers.push(pointer);
        heap(pointer, buffer.length).set(buffer);
      }
      return work(pointers);
    } finally {
      pointers.forEach((pointer, i) => {
        heap(pointer, buffers[i]?.length ?? 0).fill(0);
        wasm.free(pointer);
      });
    }
  };

  const { memoryKiB: m, iterations: t, parallelism: p } = CURRENT_ARGON2;
  const encodedLength = wasm.argon2_encodedlen(t, m, p, SALT_BYTES, HASH_BYTES, ARGON2ID);

  // `work` (whose hash this is) is ignored: an isolate hashes synchronously, one at a time, with no queue to share.
  return {
    async hash(password, _work) {
      const pwd = encoder.encode(password);
      const salt = random.bytes(SALT_BYTES);
      return withBuffers(
        [pwd, salt, new Uint8Array(HASH_BYTES), new Uint8Array(encodedLength)],
        ([pwdAt = 0, saltAt = 0, hashAt = 0, encodedAt = 0]) => {
          const result = wasm.argon2_hash(
            t,
            m,
            p,
            pwdAt,
            pwd.length,
            saltAt,
            SALT_BYTES,
            hashAt,
            HASH_BYTES,
            encodedAt,
            encodedLength,
            ARGON2ID,
            VERSION_13,
          );
          if (result !== ARGON2_OK) throw new Error(`argon2_hash failed with code ${result}`);
          const encoded = heap(encodedAt, encodedLength);
          const end = encoded.indexOf(0);
          return decoder.decode(encoded.slice(0, end === -1 ? encodedLength : end));
        },
      );
    },
    async verify(phc, password, _work) {
      // Refuse anything but bounded argon2id before the WASM allocates for it.
      const params = parsePhc(phc);
      if (!params || params.memoryKiB > WASM_MAX_MEMORY_KIB) return false;
      const pwd = encoder.encode(password);
      try {
        return withBuffers(
          [encoder.encode(`${phc}\0`), pwd],
          ([encodedAt = 0, pwdAt = 0]) => wasm.argon2_verify(encodedAt, pwdAt, pwd.length, ARGON2ID) === ARGON2_OK,
        );
      } catch {
        // Out of WASM memory (a string asking for more than the isolate has): not a match.
        return false;
      }
    },
  };
}
