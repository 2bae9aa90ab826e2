/** What a user let a client have (the consent page), one per user and client. */
export interface ConsentRecord {
  tenantId: string;
  userId: string;
  clientId: string;
  scopes: string[];
  createdAt: Date;
  /** When scopes were last granted. */
  updatedAt: Date;
}

export interface ConsentRepository {
  /** The user's consent to a live client, or null. */
  find(tenantId: string, userId: string, clientId: string): Promise<ConsentRecord | null>;
  /** Records the scopes, adding them to any the user granted the client before (one statement); resolves the consent. */
  grant(tenantId: string, userId: string, clientId: string, scopes: string[], now: Date): Promise<ConsentRecord>;
  /** The user's consents to live clients with each client's name, most recently granted first. */
  listWithClientNames(tenantId: string, userId: string): Promise<(ConsentRecord & { clientName: string })[]>;
  /** Deletes the user's consent to a live client; resolves whether there was one. */
  revoke(tenantId: string, userId: string, clientId: string): Promise<boolean>;
}
