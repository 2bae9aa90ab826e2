import type { ClientType, OAuthClient } from "../../oidc/client-types.js";
import type { ListingPosition } from "./listing.js";

/** A client as stored: what the core sees, plus the hashes of its secrets (only ClientService reads them). */
export interface ClientRecord extends OAuthClient {
  /** Hex SHA-256 of the current secret; null for a public client. */
  secretHash: string | null;
  /** The secret a rotation replaced, accepted until `previousSecretExpiresAt`. */
  previousSecretHash: string | null;
  previousSecretExpiresAt: Date | null;
}

export type NewClient = Omit<
  ClientRecord,
  "previousSecretHash" | "previousSecretExpiresAt" | "createdAt" | "updatedAt"
> & { now: Date };

/** The fields an admin may change of a client besides its type (its id never changes). */
export type ClientChanges = Partial<
  Pick<
    OAuthClient,
    | "name"
    | "redirectUris"
    | "postLogoutRedirectUris"
    | "grantTypes"
    | "scopes"
    | "firstParty"
    | "accessTokenTtl"
    | "refreshTokenTtl"
  >
>;

/**
 * A change of type (RFC 6749 §2.1), made only while the client is still of
 * type `from`, with the secret the new type has: a hash for a confidential
 * client, null for a public one.
 */
interface ClientRetype {
  from: ClientType;
  to: ClientType;
  secretHash: string | null;
}

export interface ClientRepository {
  /**
   * Inserts the client unless its tenant already holds `cap` live (not
   * deleted) clients, in one statement; resolves null then. Concurrent
   * inserts each count without the others', so they may pass the cap by a few.
   */
  create(client: NewClient, cap: number): Promise<ClientRecord | null>;
  /** The live (not deleted) client of the tenant with this id. */
  find(tenantId: string, clientId: string): Promise<ClientRecord | null>;
  /**
   * Up to `limit` of the tenant's live clients, newest first (created_at,
   * then client_id by bytes, descending), after `after` (null: from the
   * first), each with its place (`id` is the client id).
   */
  list(
    tenantId: string,
    after: ListingPosition | null,
    limit: number,
  ): Promise<{ client: ClientRecord; position: ListingPosition }[]>;
  /**
   * Sets the given fields of a live client, and with `retype` its type and
   * secret (a secret rotated out earlier is forgotten), in one statement;
   * resolves it updated, or null when there is none (or, with `retype`, it is
   * no longer of type `from`, or, with `was`, no longer as `was` read it).
   */
  update(
    tenantId: string,
    clientId: string,
    changes: ClientChanges,
    now: Date,
    retype?: ClientRetype,
    was?: ClientRecord,
  ): Promise<ClientRecord | null>;
  /**
   * In one statement: the current secret becomes the previous one (accepted
   * until `previousExpiresAt`) and `secretHash` the current one. Only a live
   * confidential client (with `was`, only while it is as `was` read it); resolves it, or null.
   */
  rotateSecret(
    tenantId: string,
    clientId: string,
    rotation: { secretHash: string; previousExpiresAt: Date; now: Date },
    was?: ClientRecord,
  ): Promise<ClientRecord | null>;
  /** Soft-deletes a live client (with `was`, only while it is as read); resolves whether there was one. */
  softDelete(tenantId: string, clientId: string, now: Date, was?: ClientRecord): Promise<boolean>;
}
