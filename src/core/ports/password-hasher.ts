export interface Argon2Params {
  memoryKiB: number;
  iterations: number;
  parallelism: number;
}

/** OWASP's argon2id parameters (DESIGN.md, Passwords). */
export const CURRENT_ARGON2: Argon2Params = { memoryKiB: 19456, iterations: 2, parallelism: 1 };

/** On whose behalf a hash runs, for a hasher whose capacity the tenants of a process share (Node's queue). */
export interface HashWork {
  /** The lane the hash waits in (the tenant's id): lanes are served in turn, so one tenant's flood cannot starve another. */
  lane: string;
  /** False once nobody awaits the answer (the client has gone): a hash still waiting is then shed, not run. */
  wanted?: () => boolean;
}

/** argon2id in PHC string form; the same strings verify on every runtime. */
export interface PasswordHasher {
  hash(password: string, work?: HashWork): Promise<string>;
  /** Resolves false for a wrong password or a malformed stored string; rejects only when the hash was shed (503). */
  verify(phc: string, password: string, work?: HashWork): Promise<boolean>;
}
