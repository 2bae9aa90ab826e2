export type SigningAlgorithm = "RS256" | "ES256" | "EdDSA";
export type SigningKeyState = "next" | "active" | "retired";

export interface SigningKeyRecord {
  id: string;
  tenantId: string;
  kid: string;
  alg: SigningAlgorithm;
  state: SigningKeyState;
  /** Public members only. */
  publicJwk: Record<string, unknown>;
  /** The private JWK, sealed (row-level encryption). */
  privateKeySealed: string;
  activatedAt: Date | null;
  retiredAt: Date | null;
  /** When a retired key leaves the JWKS: after every token it signed has expired. */
  publishUntil: Date | null;
  createdAt: Date;
}

export type NewSigningKey = Pick<
  SigningKeyRecord,
  "id" | "tenantId" | "kid" | "alg" | "publicJwk" | "privateKeySealed" | "createdAt"
>;

interface Rotation {
  tenantId: string;
  /** The ring as the caller saw it; the rotation happens only if it is still so. */
  activeId: string | null;
  nextId: string;
  now: Date;
  /** publish_until of the key being retired. */
  retiredPublishUntil: Date;
  newNext: NewSigningKey;
}

export interface SigningKeyRepository {
  /**
   * next, active, and the newest `maxRetired` retired keys (by retired_at)
   * whose publish_until is still ahead of `now`, oldest first.
   */
  listPublished(tenantId: string, now: Date, maxRetired: number): Promise<SigningKeyRecord[]>;
  /**
   * Creates the first ring of a tenant (an active and a next key) in one
   * statement. Resolves false when the tenant already has one (a concurrent
   * creator won).
   */
  createRing(active: NewSigningKey, next: NewSigningKey, now: Date): Promise<boolean>;
  /**
   * In one statement: the active key retires, the next becomes active, a new
   * next key is added. Resolves false (and changes nothing) when the ring is no
   * longer as the caller saw it (a concurrent rotation won).
   */
  rotate(rotation: Rotation): Promise<boolean>;
  /** All keys in id order after `afterId`, for the re-encryption pass. */
  page(afterId: string | null, limit: number): Promise<SigningKeyRecord[]>;
  reseal(id: string, privateKeySealed: string): Promise<void>;
}
