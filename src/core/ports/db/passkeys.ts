/** How the authenticator may be reached (WebAuthn AuthenticatorTransport). */
export type PasskeyTransport = "ble" | "cable" | "hybrid" | "internal" | "nfc" | "smart-card" | "usb";

export interface PasskeyRecord {
  id: string;
  tenantId: string;
  userId: string;
  /** The credential id, base64url; unique per tenant. */
  credentialId: string;
  /** The COSE public key, base64url. */
  publicKey: string;
  /** The last signature counter seen (WebAuthn §6.1.1); 0 for authenticators that do not count. */
  counter: number;
  transports: PasskeyTransport[];
  /** "singleDevice" (bound to one authenticator) or "multiDevice" (synced). */
  deviceType: "singleDevice" | "multiDevice";
  backedUp: boolean;
  name: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
}

export type NewPasskey = Omit<PasskeyRecord, "createdAt" | "lastUsedAt"> & { now: Date };

export interface PasskeyRepository {
  /**
   * Stores the credential unless the user already holds `cap` live passkeys,
   * in one statement (concurrent registrations may pass the cap by a few):
   * resolves "full" then, and "duplicate" when the tenant already holds this credential id.
   */
  create(passkey: NewPasskey, cap: number): Promise<PasskeyRecord | "full" | "duplicate">;
  /** The user's live passkeys, oldest first. */
  listOfUser(tenantId: string, userId: string): Promise<PasskeyRecord[]>;
  findByCredentialId(tenantId: string, credentialId: string): Promise<PasskeyRecord | null>;
  rename(tenantId: string, userId: string, id: string, name: string | null, at: Date): Promise<PasskeyRecord | null>;
  /** Soft-deletes one of the user's passkeys; false when there was none. */
  remove(tenantId: string, userId: string, id: string, at: Date): Promise<boolean>;
  /** Soft-deletes every passkey of the user (admin reset); resolves how many. */
  removeAllOfUser(tenantId: string, userId: string, at: Date): Promise<number>;
  /**
   * Records a successful assertion: stores the new counter and backup state and
   * last_used_at, but only when the stored counter is still `expectedCounter`
   * (two concurrent assertions cannot both move it); false otherwise.
   */
  recordUse(id: string, expectedCounter: number, counter: number, backedUp: boolean, at: Date): Promise<boolean>;
}
