import { type Algorithm, hash, verify } from "@node-rs/argon2";
import { parsePhc } from "../../core/passwords/phc.js";
import type { Random } from "../../core/ports/clock.js";
import { CURRENT_ARGON2, type PasswordHasher } from "../../core/ports/password-hasher.js";

/** `Algorithm.Argon2id`: the package declares a const enum, which isolatedModules cannot read at run time. */
const ARGON2ID = 2 as Algorithm;
const SALT_BYTES = 16;
const HASH_BYTES = 32;

/**
 * Node: native argon2id (@node-rs/argon2, the Rust `argon2` crate), computed
 * on libuv's thread pool, off the event loop. The salt comes from `random`.
 * Passwords are hashed as their UTF-8 bytes, without Unicode normalisation.
 */
export function createNodeArgon2Hasher(random: Random): PasswordHasher {
  return {
    hash: (password) =>
      hash(password, {
        algorithm: ARGON2ID,
        memoryCost: CURRENT_ARGON2.memoryKiB,
        timeCost: CURRENT_ARGON2.iterations,
        parallelism: CURRENT_ARGON2.parallelism,
        outputLen: HASH_BYTES,
        salt: random.bytes(SALT_BYTES),
      }),
    async verify(phc, password) {
      // Refuse anything but bounded argon2id before the library allocates for it.
      if (!parsePhc(phc)) return false;
      try {
        return await verify(phc, password);
      } catch {
        return false;
      }
    },
  };
}
