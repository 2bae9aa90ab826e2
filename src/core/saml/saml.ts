import type { Sealer } from "../crypto/sealing.js";
import { errors } from "../errors.js";
import type { Clock, Random } from "../ports/clock.js";
import type { Database, SamlConnectionRecord, Tenant } from "../ports/database.js";
import type { KeyValueStore } from "../ports/key-value.js";
import type { Logger } from "../ports/logger.js";
import { type SamlProtocol, SamlProtocolError, type SpDescription } from "../ports/saml.js";
import { redirectUrisOf } from "../tenant-settings.js";
import { createSpKeyPair } from "./sp-certificate.js";

/** How long an AuthnRequest may wait for its response. */
const REQUEST_TTL_MS = 10 * 60_000;
const requestKey = (id: string) => `saml-request:${id}`;
const keyContext = (tenantId: string, name: string) => `saml_connections.sp_private_key:${tenantId}:${name}`;

/** What the login step stores under the AuthnRequest's ID, for the ACS. */
export interface PendingSamlLogin {
  tenantId: string;
  connection: string;
  redirectUri: string;
  clientState: string | null;
  codeChallenge: string | null;
  relayState: string;
}

export interface SamlDeps {
  db: Database;
  kv: KeyValueStore;
  sealer: Sealer;
  saml: SamlProtocol;
  clock: Clock;
  random: Random;
  logger: Logger;
}

/** The URLs of a connection's service provider, under the tenant's issuer. */
export const spUrls = (issuer: string, connection: string) => ({
  entityId: `${issuer}/v1/saml/${connection}/metadata`,
  acsUrl: `${issuer}/v1/saml/${connection}/acs`,
});

/**
 * SAML 2.0 service provider: one connection per tenant IdP, each with its
 * own SP key pair (sealed at rest), SP-initiated login over HTTP-Redirect.
 */
export class SamlService {
  constructor(private readonly deps: SamlDeps) {}

  async configure(
    tenant: Tenant,
    name: string,
    input: {
      idpMetadataXml: string;
      allowIdpInitiated: boolean;
      attributeMapping: Record<string, string>;
      enabled: boolean;
    },
  ): Promise<SamlConnectionRecord> {
    let entityId: string;
    try {
      entityId = this.deps.saml.describeIdp(input.idpMetadataXml).entityId;
    } catch (error) {
      if (!(error instanceof SamlProtocolError)) throw error;
      throw errors.validation([{ path: "idp_metadata_xml", message: error.message }]);
    }
    const existing = await this.deps.db.samlConnections.find(tenant.id, name);
    const keys = existing ? null : await createSpKeyPair(`${name} SAML SP`, this.deps.random, this.deps.clock.now());
    return this.deps.db.samlConnections.upsert({
      id: existing?.id ?? this.deps.random.uuid(),
      tenantId: tenant.id,
      name,
      idpMetadataXml: input.idpMetadataXml,
      idpEntityId: entityId,
      allowIdpInitiated: input.allowIdpInitiated,
      attributeMapping: input.attributeMapping,
      enabled: input.enabled,
      spPrivateKeySealed:
        existing?.spPrivateKeySealed ??
        (await this.deps.sealer.seal(keys?.privateKeyPem ?? "", keyContext(tenant.id, name))),
      spCertificate: existing?.spCertificate ?? keys?.certificatePem ?? "",
      now: this.deps.clock.now(),
    });
  }

  /** The tenant's enabled connection, or 404. */
  async connection(tenant: Tenant, name: string): Promise<SamlConnectionRecord> {
    const row = await this.deps.db.samlConnections.find(tenant.id, name);
    if (!row?.enabled) throw errors.notFound(`The tenant has no enabled SAML connection "${name}".`);
    return row;
  }

  async serviceProvider(tenant: Tenant, row: SamlConnectionRecord, issuer: string): Promise<SpDescription> {
    return {
      ...spUrls(issuer, row.name),
      certificatePem: row.spCertificate,
      privateKeyPem: await this.deps.sealer.open(row.spPrivateKeySealed, keyContext(tenant.id, row.name)),
    };
  }

  async metadata(tenant: Tenant, name: string, issuer: string): Promise<string> {
    const row = await this.connection(tenant, name);
    return this.deps.saml.spMetadata(await this.serviceProvider(tenant, row, issuer));
  }

  /**
   * SP-initiated login: the client app's redirect URI must be on the
   * allowlist exactly; the AuthnRequest's ID is kept (Redis, 10 minutes)
   * with an unguessable RelayState bound to it, for the ACS to match.
   */
  async login(
    tenant: Tenant,
    name: string,
    issuer: string,
    query: {
      redirectUri: string;
      state: string | null;
      codeChallenge: string | null;
      codeChallengeMethod: string | null;
    },
  ): Promise<{ location: string }> {
    if (!redirectUrisOf(tenant).includes(query.redirectUri)) throw errors.invalidRedirectUri();
    if (query.codeChallenge !== null || query.codeChallengeMethod !== null) {
      if (query.codeChallengeMethod !== "S256" || !/^[A-Za-z0-9_-]{43}$/.test(query.codeChallenge ?? "")) {
        throw errors.validation([{ path: "code_challenge", message: "must be a base64url SHA-256 with method S256" }]);
      }
    }
    const row = await this.connection(tenant, name);
    const relayState = Array.from(this.deps.random.bytes(24), (b) => b.toString(16).padStart(2, "0")).join("");
    const { id, url } = this.deps.saml.loginRequest(
      await this.serviceProvider(tenant, row, issuer),
      row.idpMetadataXml,
      relayState,
    );
    const pending: PendingSamlLogin = {
      tenantId: tenant.id,
      connection: name,
      redirectUri: query.redirectUri,
      clientState: query.state,
      codeChallenge: query.codeChallenge,
      relayState,
    };
    await this.deps.kv.set(requestKey(id), JSON.stringify(pending), { ttlMs: REQUEST_TTL_MS });
    return { location: url };
  }
}
