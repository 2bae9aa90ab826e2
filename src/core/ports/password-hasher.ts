export interface Argon2Params {
  memoryKiB: number;
  iterations: number;
  parallelism: number;
}

/** OWASP's argon2id parameters (DESIGN.md, Passwords). */
export const CURRENT_ARGON2: Argon2Params = { memoryKiB: 19456, iterations: 2, parallelism: 1 };

/** argon2id in PHC string form; the same strings verify on every runtime. */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** Resolves false (never throws) for a wrong password or a malformed stored string. */
  verify(phc: string, password: string): Promise<boolean>;
}
