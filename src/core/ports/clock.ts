/** Time and randomness are injected so tests can pin them. */
export interface Clock {
  now(): Date;
}

export interface Random {
  /** Cryptographically secure random bytes. */
  bytes(length: number): Uint8Array<ArrayBuffer>;
  uuid(): string;
}

export const systemClock: Clock = { now: () => new Date() };

/**
 * Small requests (ids, nonces, salts: a few per request) are served from a
 * pool filled POOL_BYTES at a time, as Node's randomUUID does: one call into
 * the system's generator instead of one per id. Bytes handed out are wiped
 * from the pool, so none is handed out twice or left behind.
 */
const POOL_BYTES = 4096;
const POOLED_MAX = 256;
let pool = new Uint8Array(0);
let pooled = 0;

function randomBytes(length: number): Uint8Array<ArrayBuffer> {
  if (length > POOLED_MAX) return crypto.getRandomValues(new Uint8Array(length));
  if (pooled + length > pool.length) {
    pool = crypto.getRandomValues(new Uint8Array(POOL_BYTES));
    pooled = 0;
  }
  const out = pool.slice(pooled, pooled + length);
  pool.fill(0, pooled, pooled + length);
  pooled += length;
  return out;
}

export const cryptoRandom: Random = {
  bytes: randomBytes,
  uuid: () => crypto.randomUUID(),
};
