import { fixedLengthEqual } from "../crypto/compare.js";
import { sha256Hex } from "../crypto/digest.js";
import { toBase64Url } from "../crypto/encoding.js";
import type { Sealer } from "../crypto/sealing.js";
import { errors, type FieldError } from "../errors.js";
import { redirectUriProblem } from "../net/redirect-uri.js";
import type { Clock, Random } from "../ports/clock.js";
import type { ClientChanges, ClientRecord, Database, ListingPosition, Tenant } from "../ports/database.js";
import type { Logger } from "../ports/logger.js";
import type { SessionService } from "../sessions/sessions.js";
import type { ClientDirectory, ClientType, GrantType, OAuthClient } from "./client-types.js";

export const DEFAULT_GRANT_TYPES: readonly GrantType[] = ["authorization_code", "refresh_token"];
export const DEFAULT_CLIENT_SCOPES: readonly string[] = ["openid", "profile", "email"];
/** How long a rotated-out secret keeps working unless the admin says otherwise, and the most they may say. */
export const DEFAULT_SECRET_OVERLAP_SECONDS = 86_400;
export const MAX_SECRET_OVERLAP_SECONDS = 7 * 86_400;
/** Live clients a tenant may hold at once: each may carry 200 URIs of 2 KB, and the listing is read page by page. */
export const MAX_CLIENTS = 1_000;

/** 16 random bytes, base64url: 22 characters. Anything else cannot be a client id and is not looked up. */
export const CLIENT_ID_SHAPE = /^[A-Za-z0-9_-]{22}$/;

/** What an admin gives to register a client; left-out fields take the defaults above. */
export interface NewClientInput {
  name: string;
  type: ClientType;
  redirectUris: string[];
  postLogoutRedirectUris?: string[];
  grantTypes?: GrantType[];
  scopes?: string[];
  firstParty?: boolean;
  accessTokenTtl?: number | null;
  refreshTokenTtl?: number | null;
}

/** A client with the secret that was just generated: shown once, never stored. */
export interface ClientWithSecret {
  client: OAuthClient;
  /** Null for a public client. */
  secret: string | null;
  /** The stored secret's hash (null: none), never shown: part of the client's ETag, so a new secret changes it. */
  secretHash: string | null;
}

export interface ClientDeps {
  db: Database;
  clock: Clock;
  random: Random;
  logger: Logger;
  /** The primitives secrets are hashed with (the sealer's: node:crypto on Node). */
  sealer: Pick<Sealer, "primitives">;
  sessions: Pick<SessionService, "revokeAllOfClientAround">;
}

const unique = <T>(values: readonly T[]): T[] => [...new Set(values)];

function withoutSecrets(record: ClientRecord): OAuthClient {
  const { secretHash: _s, previousSecretHash: _p, previousSecretExpiresAt: _e, ...client } = record;
  return client;
}

/** The rules a whole client must satisfy, checked at creation and after every change. */
function clientProblems(client: Omit<OAuthClient, "tenantId" | "clientId" | "createdAt" | "updatedAt">): FieldError[] {
  const problems: FieldError[] = [];
  for (const field of ["redirectUris", "postLogoutRedirectUris"] as const) {
    const path = field === "redirectUris" ? "redirect_uris" : "post_logout_redirect_uris";
    client[field].forEach((uri, index) => {
      const problem = redirectUriProblem(uri);
      if (problem) problems.push({ path: `${path}.${index}`, message: problem });
    });
  }
  const grants = new Set(client.grantTypes);
  if (grants.size === 0) problems.push({ path: "grant_types", message: "must not be empty" });
  // RFC 6749 §4.4: only a client that can keep a secret may act for itself.
  if (client.type === "public" && grants.has("client_credentials")) {
    problems.push({ path: "grant_types", message: "client_credentials needs a confidential client" });
  }
  // RFC 6749 §4.4.3: client_credentials yields no refresh token, so refresh_token comes from a code.
  if (grants.has("refresh_token") && !grants.has("authorization_code")) {
    problems.push({ path: "grant_types", message: "refresh_token needs authorization_code" });
  }
  if (grants.has("authorization_code") && client.redirectUris.length === 0) {
    problems.push({ path: "redirect_uris", message: "must not be empty for authorization_code" });
  }
  return problems;
}

/**
 * A tenant's OAuth 2.0 / OpenID Connect clients: registration by an admin,
 * lookup, and client authentication (RFC 6749 §2.3.1). A confidential
 * client's secret is 32 random bytes, shown once; only its SHA-256 is kept.
 * A rotation keeps the replaced secret working for an overlap, so a client's
 * deployments can move to the new one without an outage.
 */
export class ClientService implements ClientDirectory {
  constructor(private readonly deps: ClientDeps) {}

  async create(tenant: Tenant, input: NewClientInput): Promise<ClientWithSecret> {
    const fields = {
      name: input.name,
      type: input.type,
      redirectUris: unique(input.redirectUris),
      postLogoutRedirectUris: unique(input.postLogoutRedirectUris ?? []),
      grantTypes: unique(input.grantTypes ?? DEFAULT_GRANT_TYPES),
      scopes: unique(input.scopes ?? DEFAULT_CLIENT_SCOPES),
      firstParty: input.firstParty ?? false,
      accessTokenTtl: input.accessTokenTtl ?? null,
      refreshTokenTtl: input.refreshTokenTtl ?? null,
    };
    const problems = clientProblems(fields);
    if (problems.length > 0) throw errors.validation(problems);
    const secret = input.type === "confidential" ? this.newSecret() : null;
    const record = await this.deps.db.clients.create(
      {
        ...fields,
        tenantId: tenant.id,
        clientId: toBase64Url(this.deps.random.bytes(16)),
        secretHash: secret === null ? null : await this.hash(secret),
        now: this.deps.clock.now(),
      },
      MAX_CLIENTS,
    );
    if (!record) throw errors.limitReached(`A tenant holds at most ${MAX_CLIENTS} clients; delete one first.`);
    this.deps.logger.info("client_created", { tenant_id: tenant.id, client_id: record.clientId, type: record.type });
    return { client: withoutSecrets(record), secret, secretHash: record.secretHash };
  }

  /** Up to `limit` of the tenant's live clients, newest first, after `after`, each with its place. */
  async list(
    tenant: Tenant,
    after: ListingPosition | null,
    limit: number,
  ): Promise<{ client: OAuthClient; position: ListingPosition }[]> {
    const rows = await this.deps.db.clients.list(tenant.id, after, limit);
    return rows.map(({ client, position }) => ({ client: withoutSecrets(client), position }));
  }

  async find(tenant: Tenant, clientId: string): Promise<OAuthClient | null> {
    const record = await this.record(tenant, clientId);
    return record && withoutSecrets(record);
  }

  /**
   * Changes a live client; the result must satisfy the same rules as a new
   * client. A change of type is made with the secret that goes with it: to
   * confidential, a new one, returned once; to public, none, and every
   * session issued to the client ends, as its tokens were bound to the
   * client's authentication (RFC 6749 §10.4). Resolves null when there is no such client.
   * With `basis`, a conditional write (RFC 9110 §13.1.1): only while the client is as read, else 412.
   */
  async update(
    tenant: Tenant,
    clientId: string,
    changes: ClientChanges & { type?: ClientType },
    basis?: ClientRecord,
  ): Promise<ClientWithSecret | null> {
    if (basis) {
      const changed = await this.change(tenant, basis, changes, basis);
      if (!changed) throw errors.preconditionFailed();
      return changed;
    }
    // A concurrent change of type makes the guarded write miss; the change is then weighed against the client as it is.
    for (let attempt = 0; attempt < 3; attempt++) {
      const current = await this.record(tenant, clientId);
      if (!current) return null;
      const changed = await this.change(tenant, current, changes);
      if (changed) return changed;
    }
    throw errors.concurrentChange();
  }

  /** One try of update(): null when the client was deleted or changed type (with `was`, changed at all) meanwhile. */
  private async change(
    tenant: Tenant,
    current: ClientRecord,
    { type = current.type, ...changes }: ClientChanges & { type?: ClientType },
    was?: ClientRecord,
  ): Promise<ClientWithSecret | null> {
    // Absent (undefined) fields stay as they are; null is a value (a TTL back to the tenant's default).
    const given = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined));
    const normalized: ClientChanges = {
      ...given,
      ...(changes.redirectUris && { redirectUris: unique(changes.redirectUris) }),
      ...(changes.postLogoutRedirectUris && { postLogoutRedirectUris: unique(changes.postLogoutRedirectUris) }),
      ...(changes.grantTypes && { grantTypes: unique(changes.grantTypes) }),
      ...(changes.scopes && { scopes: unique(changes.scopes) }),
    };
    const problems = clientProblems({ ...current, ...normalized, type });
    if (problems.length > 0) throw errors.validation(problems);
    const { clientId } = current;
    const secret = type !== current.type && type === "confidential" ? this.newSecret() : null;
    const retype =
      type === current.type
        ? undefined
        : { from: current.type, to: type, secretHash: secret === null ? null : await this.hash(secret) };
    const now = this.deps.clock.now();
    const write = () => this.deps.db.clients.update(tenant.id, clientId, normalized, now, retype, was);
    // A refresh token (or client-credentials token) issued on the strength of the secret would outlive it.
    const updated =
      retype?.to === "public"
        ? await this.deps.sessions.revokeAllOfClientAround(tenant, clientId, "client_type_changed", write)
        : await write();
    if (!updated) return null;
    if (retype) {
      this.deps.logger.info("client_type_changed", {
        tenant_id: tenant.id,
        client_id: clientId,
        from: retype.from,
        to: type,
      });
    }
    return { client: withoutSecrets(updated), secret, secretHash: updated.secretHash };
  }

  /**
   * Deletes a client: it can no longer authenticate or be sent to, and every
   * session issued to it is revoked, so its refresh tokens stop and its
   * access tokens are refused at once. Resolves whether there was one. With
   * `basis`, only while the client is as read (else 412).
   */
  async delete(tenant: Tenant, clientId: string, basis?: ClientRecord): Promise<boolean> {
    if (!CLIENT_ID_SHAPE.test(clientId) || !(await this.deps.db.clients.find(tenant.id, clientId))) return false;
    const deleted = await this.deps.sessions.revokeAllOfClientAround(tenant, clientId, "client_deleted", () =>
      this.deps.db.clients.softDelete(tenant.id, clientId, this.deps.clock.now(), basis),
    );
    if (!deleted && basis) throw errors.preconditionFailed();
    if (!deleted) return false;
    this.deps.logger.info("client_deleted", { tenant_id: tenant.id, client_id: clientId });
    return true;
  }

  /**
   * A new secret for a confidential client, returned once. The replaced one
   * keeps working for `overlapSeconds` (0: not at all); one rotated out
   * earlier stops now. Resolves null when there is no such client. With
   * `basis`, only while the client is as read (else 412).
   */
  async rotateSecret(
    tenant: Tenant,
    clientId: string,
    overlapSeconds: number,
    basis?: ClientRecord,
  ): Promise<ClientWithSecret | null> {
    const publicClient = () => errors.validationCode("public_client", "A public client has no secret to rotate.");
    const current = basis ?? (await this.record(tenant, clientId));
    if (!current) return null;
    if (current.type !== "confidential") throw publicClient();
    const secret = this.newSecret();
    const now = this.deps.clock.now();
    const rotated = await this.deps.db.clients.rotateSecret(
      tenant.id,
      clientId,
      { secretHash: await this.hash(secret), previousExpiresAt: new Date(now.getTime() + overlapSeconds * 1000), now },
      basis,
    );
    if (!rotated && basis) throw errors.preconditionFailed();
    // Missed: the client was deleted, or made public meanwhile (the write rotates only a confidential client).
    if (!rotated) {
      if (await this.record(tenant, clientId)) throw publicClient();
      return null;
    }
    this.deps.logger.info("client_secret_rotated", {
      tenant_id: tenant.id,
      client_id: clientId,
      overlap_seconds: overlapSeconds,
    });
    return { client: withoutSecrets(rotated), secret, secretHash: rotated.secretHash };
  }

  async authenticate(tenant: Tenant, clientId: string, secret: string): Promise<OAuthClient | null> {
    const record = await this.record(tenant, clientId);
    if (record?.type !== "confidential" || record.secretHash === null) return null;
    const hash = await this.hash(secret);
    // Both comparisons always run, so the time taken does not tell which secret matched.
    const current = fixedLengthEqual(hash, record.secretHash);
    const overlapping =
      record.previousSecretHash !== null &&
      record.previousSecretExpiresAt !== null &&
      record.previousSecretExpiresAt.getTime() > this.deps.clock.now().getTime();
    const previous = fixedLengthEqual(hash, record.previousSecretHash ?? "");
    return current || (overlapping && previous) ? withoutSecrets(record) : null;
  }

  /** The stored client, secrets' hashes included (a conditional write's basis; never shown). */
  record(tenant: Tenant, clientId: string): Promise<ClientRecord | null> {
    return CLIENT_ID_SHAPE.test(clientId) ? this.deps.db.clients.find(tenant.id, clientId) : Promise.resolve(null);
  }

  /** 32 random bytes, base64url (43 characters). */
  private newSecret(): string {
    return toBase64Url(this.deps.random.bytes(32));
  }

  private hash(secret: string): Promise<string> {
    return sha256Hex(secret, this.deps.sealer.primitives);
  }
}
