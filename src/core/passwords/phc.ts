import { type Argon2Params, CURRENT_ARGON2 } from "../ports/password-hasher.js";

/**
 * argon2id v1.3 PHC strings as the reference implementation writes them:
 * `$argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>`, salt and hash
 * in standard base64 without padding. Nothing else is accepted: no other
 * variant or version, no parameters out of order, no keyid/data fields.
 */
const PHC = /^\$argon2id\$v=19\$m=(\d{1,7}),t=(\d{1,3}),p=(\d{1,3})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

/**
 * What a stored string may ask for before any work is done, so that a tampered
 * or foreign row cannot make a login allocate gigabytes or spin for minutes.
 *
 * - memory: at most 256 MiB (13 times today's 19 MiB). The worst string within
 *   the bounds costs about 100 times a current verification (roughly 1 s
 *   native). The WASM adapter (Workers) caps memory lower, at 64 MiB, since a
 *   Workers isolate has 128 MiB in all and WASM memory never shrinks.
 * - passes and lanes: 1..16. argon2 needs at least 8 KiB per lane.
 * - salt: 8..64 bytes (RFC 9106 recommends 16, which is what we write).
 * - hash: 16..64 bytes (we write 32).
 */
export const PHC_LIMITS = {
  maxMemoryKiB: 262_144,
  maxIterations: 16,
  maxParallelism: 16,
  saltBytes: { min: 8, max: 64 },
  hashBytes: { min: 16, max: 64 },
} as const;

/** Bytes encoded by unpadded base64 of this length; undefined for an impossible length (4n + 1). */
function base64Bytes(text: string): number | undefined {
  return text.length % 4 === 1 ? undefined : Math.floor((text.length * 3) / 4);
}

const within = (value: number | undefined, range: { min: number; max: number }) =>
  value !== undefined && value >= range.min && value <= range.max;

/** The parameters of an argon2id v=19 PHC string within PHC_LIMITS, or undefined for anything else. */
export function parsePhc(phc: string): Argon2Params | undefined {
  const match = PHC.exec(phc);
  if (!match) return undefined;
  const params: Argon2Params = {
    memoryKiB: Number(match[1]),
    iterations: Number(match[2]),
    parallelism: Number(match[3]),
  };
  const ok =
    within(params.parallelism, { min: 1, max: PHC_LIMITS.maxParallelism }) &&
    within(params.iterations, { min: 1, max: PHC_LIMITS.maxIterations }) &&
    within(params.memoryKiB, { min: 8 * params.parallelism, max: PHC_LIMITS.maxMemoryKiB }) &&
    within(base64Bytes(match[4] ?? ""), PHC_LIMITS.saltBytes) &&
    within(base64Bytes(match[5] ?? ""), PHC_LIMITS.hashBytes);
  return ok ? params : undefined;
}

/**
 * True when a stored hash should be replaced at the next successful login:
 * it is not an argon2id string parsePhc accepts, or any of its parameters is
 * weaker than `current`. Equal or stronger parameters are kept.
 */
export function needsRehash(phc: string, current: Argon2Params = CURRENT_ARGON2): boolean {
  const params = parsePhc(phc);
  return (
    !params ||
    params.memoryKiB < current.memoryKiB ||
    params.iterations < current.iterations ||
    params.parallelism < current.parallelism
  );
}
