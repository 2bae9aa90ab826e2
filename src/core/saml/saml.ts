import { toHex } from "../crypto/encoding.js";
import type { Sealer } from "../crypto/sealing.js";
import { errors } from "../errors.js";
import type { FederatedLogins } from "../federation/federated-logins.js";
import { FederatedLoginError } from "../federation/federated-logins.js";
import { withParams } from "../net/redirect-uri.js";
import { errorParams } from "../oidc/oauth-error.js";
import type { Clock, Random } from "../ports/clock.js";
import type { Database, SamlConnectionRecord, Tenant } from "../ports/database.js";
import type { KeyValueStore } from "../ports/key-value.js";
import type { Logger } from "../ports/logger.js";
import { type SamlProtocol, SamlProtocolError, type SamlStatusResponse, type SpDescription } from "../ports/saml.js";
import { redirectUrisOf } from "../tenant-settings.js";
import { assertionProblem, requestIdOf } from "./assertion-checks.js";
import { type PendingSamlLogin, PendingSamlLogins } from "./pending-logins.js";
import { samlProfile } from "./profile.js";
import { decodeBase64, screenResponse } from "./screen.js";
import { createSpKeyPair } from "./sp-certificate.js";
import type { SpMetadataCache } from "./sp-metadata-cache.js";

/**
 * Base64 SAMLResponses longer than this are refused unread. The profile sets
 * no size; the largest capped IdP output (Entra ID's 150 groups) is ~35 KiB
 * encoded even when encrypted, so 128 KiB (96 KiB of XML) leaves room for
 * uncapped IdPs with hundreds of groups and bounds verification to ~300 ms CPU.
 */
const MAX_RESPONSE_BASE64 = 128 * 1024;
/** Clock skew allowed on NotBefore / NotOnOrAfter. */
const SKEW_MS = 60_000;
const assertionKey = (tenantId: string, id: string) => `saml-assertion:${tenantId}:${id}`;

/** A response that fails before its login is known: a problem+json page (400 `invalid_saml_response`). */
const invalidResponse = (detail: string) => errors.validationCode("invalid_saml_response", detail);

export const spKeyContext = (tenantId: string, name: string) => `saml_connections.sp_private_key:${tenantId}:${name}`;

export interface SamlDeps {
  db: Database;
  kv: KeyValueStore;
  sealer: Sealer;
  saml: SamlProtocol;
  logins: FederatedLogins;
  clock: Clock;
  random: Random;
  logger: Logger;
  /** SP metadata by tenant, connection, its updated_at and the issuer (one per process): it changes only with those. */
  metadataCache: SpMetadataCache;
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
  private readonly pending: PendingSamlLogins;

  constructor(private readonly deps: SamlDeps) {
    this.pending = new PendingSamlLogins(deps);
  }

  async configure(
    tenant: Tenant,
    name: string,
    input: {
      idpMetadataXml: string;
      allowIdpInitiated: boolean;
      trustEmail: boolean;
      attributeMapping: Record<string, string>;
      enabled: boolean;
    },
    basis?: SamlConnectionRecord,
  ): Promise<SamlConnectionRecord> {
    let entityId: string;
    try {
      entityId = this.deps.saml.describeIdp(input.idpMetadataXml).entityId;
    } catch (error) {
      if (!(error instanceof SamlProtocolError)) throw error;
      throw errors.validation([{ path: "idp_metadata_xml", message: error.message }]);
    }
    const existing = basis ?? (await this.deps.db.samlConnections.find(tenant.id, name));
    const keys = existing ? null : await createSpKeyPair(`${name} SAML SP`, this.deps.random, this.deps.clock.now());
    const connection = {
      id: existing?.id ?? this.deps.random.uuid(),
      tenantId: tenant.id,
      name,
      idpMetadataXml: input.idpMetadataXml,
      idpEntityId: entityId,
      allowIdpInitiated: input.allowIdpInitiated,
      trustEmail: input.trustEmail,
      attributeMapping: input.attributeMapping,
      enabled: input.enabled,
      spPrivateKeySealed:
        existing?.spPrivateKeySealed ??
        (await this.deps.sealer.seal(keys?.privateKeyPem ?? "", spKeyContext(tenant.id, name))),
      spCertificate: existing?.spCertificate ?? keys?.certificatePem ?? "",
      now: this.deps.clock.now(),
    };
    // A conditional write (RFC 9110 §13.1.1): only while the connection is still as `basis` read it.
    const stored = basis
      ? await this.deps.db.samlConnections.replaceIf(connection, basis)
      : await this.deps.db.samlConnections.upsert(connection);
    if (!stored) throw errors.preconditionFailed();
    // A NameID is unique only within its IdP; unlinked after the new IdP is stored (see FederationService).
    if (existing && existing.idpEntityId !== entityId) await this.unlink(tenant, name);
    return stored;
  }

  /** The tenant's connections in name order after `afterName`. */
  list(tenant: Tenant, afterName: string | null, limit: number): Promise<SamlConnectionRecord[]> {
    return this.deps.db.samlConnections.list(tenant.id, afterName, limit);
  }

  find(tenant: Tenant, name: string): Promise<SamlConnectionRecord | null> {
    return this.deps.db.samlConnections.find(tenant.id, name);
  }

  /**
   * Deletes a connection: its logins, ACS and metadata stop at once (each
   * reads the connection again) and this process forgets its metadata.
   * Resolves whether it existed.
   */
  async remove(tenant: Tenant, name: string, basis?: SamlConnectionRecord): Promise<boolean> {
    const removed = await this.deps.db.samlConnections.softDelete(tenant.id, name, this.deps.clock.now(), basis);
    if (!removed && basis) throw errors.preconditionFailed();
    if (removed) await this.unlink(tenant, name);
    this.deps.metadataCache.forget(tenant.id, name);
    return removed;
  }

  private async unlink(tenant: Tenant, name: string): Promise<void> {
    const count = await this.deps.db.identities.unlinkProvider(tenant.id, `saml:${name}`, this.deps.clock.now());
    if (count > 0)
      this.deps.logger.info("identities_unlinked", { tenant_id: tenant.id, provider: `saml:${name}`, count });
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
      privateKeyPem: await this.deps.sealer.open(row.spPrivateKeySealed, spKeyContext(tenant.id, row.name)),
    };
  }

  async metadata(tenant: Tenant, name: string, issuer: string): Promise<string> {
    const row = await this.connection(tenant, name);
    return this.deps.metadataCache.get({ tenantId: tenant.id, name, updatedAt: row.updatedAt, issuer }, async () =>
      this.deps.saml.spMetadata(await this.serviceProvider(tenant, row, issuer)),
    );
  }

  /**
   * SP-initiated login: the client app's redirect URI must be on the
   * allowlist exactly (or be the hosted login's own return route,
   * `hostedReturn`); the AuthnRequest's ID is kept (Redis, 10 minutes)
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
      hostedReturn?: boolean;
    },
  ): Promise<{ location: string }> {
    if (!query.hostedReturn && !redirectUrisOf(tenant).includes(query.redirectUri)) throw errors.invalidRedirectUri();
    if (query.codeChallenge !== null || query.codeChallengeMethod !== null) {
      if (query.codeChallengeMethod !== "S256" || !/^[A-Za-z0-9_-]{43}$/.test(query.codeChallenge ?? "")) {
        throw errors.validation([{ path: "code_challenge", message: "must be a base64url SHA-256 with method S256" }]);
      }
    }
    const row = await this.connection(tenant, name);
    const relayState = toHex(this.deps.random.bytes(24));
    const { id, url } = this.deps.saml.loginRequest(
      await this.serviceProvider(tenant, row, issuer),
      row.idpMetadataXml,
      relayState,
    );
    const pending: PendingSamlLogin = {
      redirectUri: query.redirectUri,
      clientState: query.state,
      codeChallenge: query.codeChallenge,
      relayState,
    };
    await this.pending.put(tenant.id, name, id, pending);
    return { location: url };
  }

  /**
   * The IdP's answer (POST binding). Screened first (size, base64, DTDs,
   * one Response with one Assertion), then verified (schema, signature,
   * issuer, time), then bound to its AuthnRequest by the signed bearer
   * SubjectConfirmationData's InResponseTo (spent once, RelayState equal),
   * checked (assertion-checks.ts), and the assertion ID kept until
   * NotOnOrAfter against replay. Before the login is known, failures are
   * 400 problem+json; after, an error redirect.
   */
  async acs(
    tenant: Tenant,
    name: string,
    issuer: string,
    form: { samlResponse: string; relayState: string | null },
  ): Promise<{ location: string }> {
    if (form.samlResponse.length > MAX_RESPONSE_BASE64) throw invalidResponse("The SAMLResponse is too large.");
    const xml = decodeBase64(form.samlResponse);
    if (xml === null) throw invalidResponse("The SAMLResponse is not base64 of UTF-8 text.");
    const screened = screenResponse(xml);
    if ("problem" in screened) throw invalidResponse(screened.problem);
    const row = await this.connection(tenant, name);
    // No assertion: the IdP's failure status, read here (it is small); an assertion is read once, when verified.
    const status = screened.assertions === 0 ? this.statusOf(tenant, name, xml) : null;
    if (status) {
      const ended = await this.pending.endedAtIdp(tenant.id, name, form.relayState, status);
      if ("problem" in ended) throw this.refused(tenant, name, ended.problem);
      this.deps.logger.warn("saml_login_failed_at_idp", { tenant_id: tenant.id, connection: name, status: ended.code });
      return { location: ended.location };
    }
    const sp = await this.serviceProvider(tenant, row, issuer);
    let assertion: Awaited<ReturnType<SamlProtocol["verifyResponse"]>>;
    try {
      assertion = await this.deps.saml.verifyResponse(sp, row.idpMetadataXml, xml, SKEW_MS);
    } catch (error) {
      if (!(error instanceof SamlProtocolError)) throw error;
      throw this.refused(tenant, name, error.message);
    }
    const now = this.deps.clock.now().getTime();
    const answered = requestIdOf(assertion);
    if ("problem" in answered) throw this.refused(tenant, name, answered.problem);
    let pending: PendingSamlLogin | null = null;
    if (answered.requestId !== null) {
      pending = await this.pending.take(tenant.id, name, answered.requestId, form.relayState);
      if (!pending) {
        throw invalidResponse("InResponseTo names no pending request of this connection (unknown, used or expired).");
      }
    } else {
      if (!row.allowIdpInitiated) throw invalidResponse("Unsolicited responses are not allowed on this connection.");
      const target = form.relayState ?? "";
      if (!redirectUrisOf(tenant).includes(target)) throw errors.invalidRedirectUri();
      pending = {
        redirectUri: target,
        clientState: null,
        codeChallenge: null,
        relayState: target,
      };
    }
    const login = pending;
    const back = (values: Record<string, string>) => ({
      location: withParams(login.redirectUri, { ...values, state: login.clientState }),
    });
    const refuse = (reason: string) => {
      this.deps.logger.warn("saml_response_refused", { tenant_id: tenant.id, connection: name, reason });
      return back(errorParams("access_denied", reason));
    };
    const expected = { idpEntityId: row.idpEntityId, spEntityId: sp.entityId, acsUrl: sp.acsUrl };
    const problem = assertionProblem(assertion, expected, now, SKEW_MS);
    if (problem) return refuse(problem);
    // Kept while the Conditions would admit it (assertionProblem required their NotOnOrAfter).
    const replayTtl = (assertion.notOnOrAfter?.getTime() ?? now) + SKEW_MS - now;
    const first = await this.deps.kv.set(assertionKey(tenant.id, assertion.assertionId), "1", {
      ttlMs: replayTtl,
      onlyIfAbsent: true,
    });
    if (!first) return refuse("The assertion was already used.");
    try {
      const user = await this.deps.logins.link(tenant, `saml:${name}`, samlProfile(row, assertion));
      const method = { authMethod: `saml:${name}`, amr: ["saml"] };
      return back({ code: await this.deps.logins.issueCode(tenant, user, method, login.codeChallenge) });
    } catch (error) {
      if (!(error instanceof FederatedLoginError)) throw error;
      return back(errorParams(error.error, error.description));
    }
  }

  /** The status of a response that holds no assertion, null when it holds one. */
  private statusOf(tenant: Tenant, name: string, xml: string): SamlStatusResponse | null {
    try {
      return this.deps.saml.statusOf(xml);
    } catch (error) {
      if (!(error instanceof SamlProtocolError)) throw error;
      throw this.refused(tenant, name, error.message);
    }
  }

  /** A response refused before its login is known: logged, then a 400 problem. */
  private refused(tenant: Tenant, name: string, reason: string) {
    this.deps.logger.warn("saml_response_refused", { tenant_id: tenant.id, connection: name, reason });
    return invalidResponse(reason);
  }
}
