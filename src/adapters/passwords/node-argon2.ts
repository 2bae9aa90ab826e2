import { availableParallelism } from "node:os";
import { type Algorithm, hash, verify } from "@node-rs/argon2";
import { errors } from "../../core/errors.js";
import { parsePhc } from "../../core/passwords/phc.js";
import type { Random } from "../../core/ports/clock.js";
import { CURRENT_ARGON2, type PasswordHasher } from "../../core/ports/password-hasher.js";

/** `Algorithm.Argon2id`: the package declares a const enum, which isolatedModules cannot read at run time. */
const ARGON2ID = 2 as Algorithm;
const SALT_BYTES = 16;
const HASH_BYTES = 32;

/** Hashes that may wait for each slot: about 1.5 s of argon2id (~6 ms each) before a slot is theirs. */
const WAITING_PER_SLOT = 256;

/**
 * Runs at most `limit` tasks at once, the rest in arrival order. Hashes beyond
 * the cores only contend for them and hold libuv's pool, which file and DNS
 * work share; and argon2id is memory-bound, so two hashes at once on two
 * cores already cost each other about 20-40% more CPU apiece. A flood of
 * logins beyond `maxWaiting` is shed with 503 and Retry-After rather than
 * queued without end (each waiting one holds its request and its client).
 */
export function limitConcurrency(
  limit = Math.max(1, availableParallelism() - 1),
  maxWaiting = limit * WAITING_PER_SLOT,
) {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (running < limit) running++;
    else if (waiting.length >= maxWaiting) throw errors.unavailable("Too many password checks are waiting.");
    else await new Promise<void>((resolve) => waiting.push(resolve)); // handed a running slot
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
}

/**
 * Node: native argon2id (@node-rs/argon2, the Rust `argon2` crate), computed
 * on libuv's thread pool, off the event loop, as many at a time as `bounded`
 * lets: by default one fewer than the CPUs (at least one), so that a burst of
 * logins leaves the event loop a core for every other request. The salt comes from `random`.
 * Passwords are hashed as their UTF-8 bytes, without Unicode normalisation.
 */
export function createNodeArgon2Hasher(random: Random, bounded = limitConcurrency()): PasswordHasher {
  return {
    hash: (password) =>
      bounded(() =>
        hash(password, {
          algorithm: ARGON2ID,
          memoryCost: CURRENT_ARGON2.memoryKiB,
          timeCost: CURRENT_ARGON2.iterations,
          parallelism: CURRENT_ARGON2.parallelism,
          outputLen: HASH_BYTES,
          salt: random.bytes(SALT_BYTES),
        }),
      ),
    async verify(phc, password) {
      // Refuse anything but bounded argon2id before the library allocates for it.
      if (!parsePhc(phc)) return false;
      // A hash the library refuses is a wrong password; a shed check (503) is not.
      return bounded(() => verify(phc, password).catch(() => false));
    },
  };
}
