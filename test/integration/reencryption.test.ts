/**
 * The ENCRYPTION_KEYS rotation as docs/operations.md tells it, on real
 * Postgres and Redis: data sealed under the old key, the new key put first,
 * the re-encryption pass, then the service with only the new key. Every
 * sealed column must open there: users, TOTP secrets, upstream providers'
 * client secrets, SAML SP keys, identity profiles and mailed links. A
 * deleted user's erased row is passed over, not counted unreadable.
 */
import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import { generateHOTP } from "@oslojs/otp";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/adapters/telemetry/console-logger.js";
import { AccountTokens } from "../../src/core/accounts/account-tokens.js";
import { type EncryptionKey, Sealer } from "../../src/core/crypto/sealing.js";
import { identityProfileContext } from "../../src/core/federation/federated-logins.js";
import { cryptoRandom } from "../../src/core/ports/clock.js";
import type { Tenant, UserRecord } from "../../src/core/ports/database.js";
import { reencryptAll } from "../../src/core/reencryption.js";
import { createSpKeyPair } from "../../src/core/saml/sp-certificate.js";
import { createApp } from "../../src/http/app.js";
import { buildServices } from "../../src/http/services.js";
import { client, GOOD_PASSWORD, JSON_HEADERS, type TokenBody } from "../support/accounts.js";
import { startTestApp, TEST_ADMIN_KEY, type TestApp } from "../support/app.js";
import { recordingLogger } from "../support/recorders.js";

const key = (id: string): EncryptionKey => ({ id, key: crypto.getRandomValues(new Uint8Array(32)) });
const oldKey = key("old");
const newKey = key("new");
const APP = "https://app.example.com/callback";
const admin = { Authorization: `Bearer ${TEST_ADMIN_KEY}`, ...JSON_HEADERS };

let t: TestApp;
let sql: pg.Client;

beforeAll(async () => {
  t = await startTestApp({ sealer: await Sealer.create([oldKey], cryptoRandom) });
  sql = new pg.Client({ connectionString: t.database.url });
  await sql.connect();
});
afterAll(async () => {
  await sql.end();
  await t.close();
});

/** The same database and Redis served with other encryption keys, as after a restart. */
async function appWith(keys: EncryptionKey[]) {
  const deps = { ...t.deps, sealer: await Sealer.create(keys, cryptoRandom) };
  const services = buildServices(deps);
  const app = createApp(deps, services);
  return { deps, services, app, api: client((path, init) => app.request(path, init)) };
}

function idpMetadata(cert: string) {
  const der = cert.replace(/-----[^-]+-----|\s/g, "");
  return `<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example/metadata">
  <md:IDPSSODescriptor WantAuthnRequestsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>${der}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>`;
}

const codeOf = (secret: string) =>
  generateHOTP(decodeBase32IgnorePadding(secret), BigInt(Math.floor(Date.now() / 30_000)), 6);

/** Every sealed value and blind index in the database (live rows; spent mailed links excluded), with where it is. */
async function sealedValues(): Promise<string[]> {
  const { rows } = await sql.query<{ place: string; value: string }>(`
    select 'users.email_index' as place, email_index as value from users
    union all select 'users.email_sealed', email_sealed from users
    union all select 'users.name_sealed', name_sealed from users where name_sealed is not null
    union all select 'signing_keys', private_key_sealed from signing_keys
    union all select 'mfa_totp', secret_sealed from mfa_totp where deleted_at is null
    union all select 'oauth_providers', client_secret_sealed from oauth_providers where deleted_at is null
    union all select 'saml_connections', sp_private_key_sealed from saml_connections where deleted_at is null
    union all select 'user_identities', profile_sealed from user_identities
      where deleted_at is null and profile_sealed is not null
    union all select 'account_tokens.email_index', email_index from account_tokens where used_at is null
    union all select 'account_tokens.email_sealed', email_sealed from account_tokens
      where used_at is null and email_sealed is not null`);
  return rows.map((row) => `${row.place} ${row.value}`);
}

describe("an ENCRYPTION_KEYS rotation", () => {
  let tenant: Tenant;
  let ada: UserRecord;
  let totp: { id: string; secret: string };
  let identity: { subject: string; userId: string };
  let changeLink: string;
  let resetLink: string;

  beforeAll(async () => {
    // Everything sealed under the old key alone.
    const before = await appWith([oldKey]);
    await before.api.createTenant("vault");
    expect((await before.api.redirectUris("vault", [APP])).status).toBe(200);
    tenant = (await t.deps.db.tenants.findBySlug("vault")) as Tenant;
    const signup = async (email: string) => {
      const body = (await (await before.api.signup("vault", email, GOOD_PASSWORD, "Ada")).json()) as TokenBody & {
        user: { id: string };
      };
      return (await t.deps.db.users.findById(tenant.id, body.user.id)) as UserRecord;
    };
    ada = await signup("ada@example.com");
    const bob = await signup("bob@example.com");
    // A deleted user: erased, so the pass has nothing of it to open (and counts nothing unreadable).
    const eve = await signup("eve@example.com");
    await before.services.mfa.enrollTotp(tenant, eve);
    expect(
      (await before.app.request(`/t/vault/v1/admin/users/${eve.id}`, { method: "DELETE", headers: admin })).status,
    ).toBe(204);

    const enrollment = await before.services.mfa.enrollTotp(tenant, ada);
    totp = { id: enrollment.id, secret: enrollment.secret };
    const provider = await before.app.request("/t/vault/v1/admin/oauth-providers/github", {
      method: "PUT",
      headers: admin,
      body: JSON.stringify({ client_id: "gh-client", client_secret: "gh-secret" }),
    });
    expect(provider.status).toBe(200);
    const cert = (await createSpKeyPair("idp", cryptoRandom, new Date())).certificatePem;
    const connection = await before.app.request("/t/vault/v1/admin/saml-connections/okta", {
      method: "PUT",
      headers: admin,
      body: JSON.stringify({ idp_metadata_xml: idpMetadata(cert) }),
    });
    expect(connection.status).toBe(200);
    const linked = await before.services.logins.link(tenant, "oauth:github", {
      subject: "gh-4711",
      email: "cy@example.com",
      name: "Cy",
      emailVerified: true,
    });
    identity = { subject: "gh-4711", userId: linked.id };

    const tokens = new AccountTokens(t.deps);
    // Mailed links: an address change (the new address sealed in the token) and a reset (the user's index).
    const next = await before.services.accounts.sealAddress(tenant, ada.id, "ada.new@example.com", "new_email");
    changeLink = await tokens.issue({
      tenantId: tenant.id,
      userId: ada.id,
      purpose: "change_email",
      emailIndex: next.emailIndex,
      emailSealed: next.emailSealed,
    });
    resetLink = await tokens.issue({
      tenantId: tenant.id,
      userId: bob.id,
      purpose: "password_reset",
      emailIndex: bob.emailIndex,
    });
  });

  it("reseals every sealed column, after which the service runs with the new key alone", async () => {
    // New key first, old key kept: the pass, then once more to see it is done.
    const during = await appWith([newKey, oldKey]);
    const done = await reencryptAll(during.deps.db, during.deps.sealer, silentLogger, new Date());
    expect(done).toMatchObject({
      users: 3,
      totpSecrets: 1,
      oauthProviders: 1,
      samlConnections: 1,
      identityProfiles: 1,
      accountTokens: 2,
      skipped: 0,
      unreadable: 0,
      duplicates: 0,
    });
    expect(done.signingKeys).toBeGreaterThanOrEqual(2);
    expect(await reencryptAll(during.deps.db, during.deps.sealer, silentLogger, new Date())).toEqual({
      users: 0,
      signingKeys: 0,
      totpSecrets: 0,
      oauthProviders: 0,
      samlConnections: 0,
      identityProfiles: 0,
      accountTokens: 0,
      skipped: 0,
      unreadable: 0,
      duplicates: 0,
    });
    const values = await sealedValues();
    expect(values.length).toBeGreaterThanOrEqual(14);
    expect(values.filter((value) => /\s(s1\.)?old[.:]/.test(value))).toEqual([]);

    // The old key dropped.
    const after = await appWith([newKey]);
    const confirmed = await after.services.mfa.confirmTotp(tenant, ada.id, totp.id, codeOf(totp.secret), "net");
    expect(confirmed.recoveryCodes).toHaveLength(10);

    const metadata = await after.app.request("/t/vault/v1/saml/okta/metadata");
    expect(metadata.status).toBe(200);
    expect(await metadata.text()).toContain("SPSSODescriptor");

    const query = new URLSearchParams({ redirect_uri: APP, state: "s1" });
    const authorize = await after.app.request(`/t/vault/v1/oauth/github/authorize?${query}`);
    expect(authorize.status).toBe(302);
    expect(authorize.headers.get("location")).toMatch(/^https:\/\/github\.com\/login\/oauth\/authorize\?/);
    expect(new URL(authorize.headers.get("location") ?? "").searchParams.get("client_id")).toBe("gh-client");

    const { rows } = await sql.query<{ profile_sealed: string }>(
      "select profile_sealed from user_identities where subject = $1",
      [identity.subject],
    );
    const context = identityProfileContext(tenant.id, "oauth:github", identity.subject);
    expect(JSON.parse(await after.deps.sealer.open(rows[0]?.profile_sealed ?? "", context))).toEqual({
      email: "cy@example.com",
      name: "Cy",
    });

    // The links mailed before the rotation still work, and what they change is found under the new key.
    expect((await after.api.reset("vault", resetLink, "another horse battery staple")).status).toBe(204);
    expect((await after.api.login("vault", "bob@example.com", "another horse battery staple")).status).toBe(200);
    const moved = await after.api.verifyEmail("vault", changeLink);
    expect(moved.status).toBe(200);
    expect(await moved.json()).toMatchObject({ email: "ada.new@example.com" });
    // Ada has a second factor now: the password step answers with an MFA challenge.
    const login = await after.api.login("vault", "ADA.NEW@example.com");
    expect(login.status).toBe(200);
    expect(await login.json()).toHaveProperty("mfa_token");
  });

  it("counts and logs a value no configured key opens, and reseals the rest", async () => {
    const during = await appWith([newKey, oldKey]);
    const user = (await (await during.api.signup("vault", "dee@example.com")).json()) as { user: { id: string } };
    const record = (await t.deps.db.users.findById(tenant.id, user.user.id)) as UserRecord;
    const enrollment = await during.services.mfa.enrollTotp(tenant, record);
    // Sealed under a key dropped in an earlier rotation, and one under the old key still listed.
    await sql.query("update mfa_totp set secret_sealed = 's1.gone.AAAAAAAAAAAAAAAA.AAAA' where id = $1", [
      enrollment.id,
    ]);
    await sql.query("update oauth_providers set client_secret_sealed = $1 where tenant_id = $2", [
      await (await Sealer.create([oldKey], cryptoRandom)).seal(
        "rotated-secret",
        `oauth_providers.client_secret:${tenant.id}:github`,
      ),
      tenant.id,
    ]);
    const logs = recordingLogger();
    const done = await reencryptAll(during.deps.db, during.deps.sealer, logs.logger, new Date());
    expect(done).toMatchObject({ totpSecrets: 0, oauthProviders: 1, unreadable: 1, skipped: 0 });
    expect(logs.lines).toContainEqual({
      level: "error",
      event: "reencryption_unreadable",
      fields: { table: "totpSecrets", id: enrollment.id, reason: 'No configured encryption key has the id "gone".' },
    });
  });
});
