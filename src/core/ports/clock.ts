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

export const cryptoRandom: Random = {
  bytes: (length) => crypto.getRandomValues(new Uint8Array(length)),
  uuid: () => crypto.randomUUID(),
};
