import { type Algorithm, hash, verify } from "@node-rs/argon2";
import { parsePhc } from "../../core/passwords/phc.js";
import type { Random } from "../../core/ports/clock.js";
import { CURRENT_ARGON2, type PasswordHasher } from "../../core/ports/password-hasher.js";
import { HashQueue } from "./hash-queue.js";

/** `Algorithm.Argon2id`: the package declares a const enum, which isolatedModules cannot read at run time. */
const ARGON2ID = 2 as Algorithm;
const SALT_BYTES = 16;
const HASH_BYTES = 32;

/**
 * Node: native argon2id (@node-rs/argon2, the Rust `argon2` crate), computed
 * on libuv's thread pool, off the event loop, as many at a time as `queue`
 * lets: by default one fewer than the CPUs (at least one), so that a burst of
 * logins leaves the event loop a core for every other request; the tenants
 * waiting share the slots in turn (see HashQueue). The salt comes from `random`.
 * Passwords are hashed as their UTF-8 bytes, without Unicode normalisation.
 */
export function createNodeArgon2Hasher(random: Random, queue = new HashQueue()): PasswordHasher {
  return {
    hash: (password, work) =>
      queue.run(
        () =>
          hash(password, {
            algorithm: ARGON2ID,
            memoryCost: CURRENT_ARGON2.memoryKiB,
            timeCost: CURRENT_ARGON2.iterations,
            parallelism: CURRENT_ARGON2.parallelism,
            outputLen: HASH_BYTES,
            salt: random.bytes(SALT_BYTES),
          }),
        work,
      ),
    async verify(phc, password, work) {
      // Refuse anything but bounded argon2id before the library allocates for it.
      if (!parsePhc(phc)) return false;
      // A hash the library refuses is a wrong password; a shed check (503) is not.
      return queue.run(() => verify(phc, password).catch(() => false), work);
    },
  };
}
