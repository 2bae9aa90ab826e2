/**
 * SAML connections, SP metadata and SP-initiated login through the whole app
 * on real Postgres and Redis. (The ACS and its attack suite come with the
 * schema validator; see issue 7.)
 */
import { execFileSync } from "node:child_process";
import { inflateRawSync } from "node:zlib";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { samlifyProtocol } from "../../src/adapters/saml/samlify.js";
import { cryptoRandom } from "../../src/core/ports/clock.js";
import { createSpKeyPair } from "../../src/core/saml/sp-certificate.js";
import { appClient, JSON_HEADERS } from "../support/accounts.js";
import { startTestApp, TEST_ADMIN_KEY, TEST_PUBLIC_URL, type TestApp } from "../support/app.js";
import { expectProblem, readAnswer } from "../support/problem.js";

const APP = "https://app.example.com/after-sso";
const admin = { Authorization: `Bearer ${TEST_ADMIN_KEY}`, ...JSON_HEADERS };
let t: TestApp;
let idpMetadata: string;
let metadataBuilds = 0;

function metadataFor(cert: string, wantSigned = true) {
  const der = cert.replace(/-----[^-]+-----|\s/g, "");
  return `<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example/metadata">
  <md:IDPSSODescriptor WantAuthnRequestsSigned="${wantSigned}" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>${der}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>`;
}

const put = (name: string, body: unknown, headers: Record<string, string> = admin) =>
  t.app.request(`/t/corp/v1/admin/saml-connections/${name}`, { method: "PUT", headers, body: JSON.stringify(body) });

beforeAll(async () => {
  // Counts SP metadata documents built, to see the cache work.
  t = await startTestApp({
    samlProtocol: {
      ...samlifyProtocol,
      spMetadata(sp) {
        metadataBuilds++;
        return samlifyProtocol.spMetadata(sp);
      },
    },
  });
  const api = appClient(t);
  await api.createTenant("corp");
  expect((await api.redirectUris("corp", [APP])).status).toBe(200);
  idpMetadata = metadataFor((await createSpKeyPair("idp", cryptoRandom, new Date())).certificatePem);
});
afterAll(async () => {
  await t.close();
});

describe("SAML connections", () => {
  it("stores a connection from IdP metadata with a sealed SP key of its own, kept on update", async () => {
    const first = await put("okta", { idp_metadata_xml: idpMetadata, attribute_mapping: { email: "mail" } });
    expect(first.status, await first.clone().text()).toBe(200);
    const body = (await first.json()) as Record<string, string>;
    expect(body).toMatchObject({
      connection: "okta",
      idp_entity_id: "https://idp.example/metadata",
      allow_idp_initiated: false,
      trust_email: false,
      attribute_mapping: { email: "mail" },
      sp_entity_id: `${TEST_PUBLIC_URL}/t/corp/v1/saml/okta/metadata`,
      acs_url: `${TEST_PUBLIC_URL}/t/corp/v1/saml/okta/acs`,
    });
    expect(body.sp_certificate).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
    const again = (await (
      await put("okta", { idp_metadata_xml: idpMetadata, allow_idp_initiated: true })
    ).json()) as Record<string, unknown>;
    expect(again).toMatchObject({ allow_idp_initiated: true, sp_certificate: body.sp_certificate });
    const trusted = await put("okta", { idp_metadata_xml: idpMetadata, trust_email: true });
    expect(await trusted.json()).toMatchObject({ trust_email: true });
    const sql = new pg.Client({ connectionString: t.database.url });
    await sql.connect();
    const { rows } = await sql.query("SELECT sp_private_key_sealed FROM saml_connections WHERE name = 'okta'");
    const { rows: trust } = await sql.query("SELECT trust_email FROM saml_connections WHERE name = 'okta'");
    await sql.end();
    expect(trust).toEqual([{ trust_email: true }]);
    expect(rows[0]?.sp_private_key_sealed).toMatch(/^s1\./);
    expect(JSON.stringify(rows)).not.toContain("PRIVATE KEY");
  });

  it("refuses unusable metadata, bad names and callers without the admin scope", async () => {
    for (const xml of [
      "not xml",
      "<x/>",
      idpMetadata.replace(/<md:SingleSignOnService[^>]*>/, ""),
      idpMetadata.replace(/<md:KeyDescriptor[\s\S]*<\/md:KeyDescriptor>/, ""),
    ]) {
      expectProblem(await readAnswer(await put("bad", { idp_metadata_xml: xml })), 400, "validation_failed");
    }
    expectProblem(await readAnswer(await put("Bad_Name", { idp_metadata_xml: idpMetadata })), 400, "validation_failed");
    expect((await put("okta", { idp_metadata_xml: idpMetadata }, JSON_HEADERS)).status).toBe(401);
  });

  it("refuses signing certificates that are not whole X.509 certificates with an RSA key", async () => {
    const body = (xml: string) => /<ds:X509Certificate>([^<]*)</.exec(xml)?.[1] ?? "";
    const withCertificate = (cert: string) => idpMetadata.replace(body(idpMetadata), cert);
    const ecCertificate = execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "/dev/null",
        "-subj",
        "/CN=ec",
        "-days",
        "30",
      ],
      { stdio: ["ignore", "pipe", "ignore"] },
    ).toString();
    const full = body(idpMetadata);
    for (const [cert, reason] of [
      ["AAAA", "is not one DER-encoded X.509 certificate"],
      ["not base64 at all!", "is not base64"],
      [full.slice(0, 400), "is not one DER-encoded X.509 certificate"],
      // A whole certificate and a trailing DER NULL.
      [Buffer.concat([Buffer.from(full, "base64"), Buffer.from([5, 0])]).toString("base64"), "is not one DER-encoded"],
      ["MAA=", "is not an X.509 certificate"],
      [ecCertificate.replace(/-----[^-]+-----|\s/g, ""), "does not hold an RSA public key"],
    ] as const) {
      const answer = await readAnswer(await put("certs", { idp_metadata_xml: withCertificate(cert) }));
      expectProblem(answer, 400, "validation_failed");
      expect(answer.text).toContain(`The IdP's signing certificate 1 ${reason}`);
    }
    expect((await t.app.request("/t/corp/v1/saml/certs/metadata")).status, "nothing was stored").toBe(404);
  });

  it("refuses a SingleSignOnService location other than https (http only on loopback)", async () => {
    const at = (location: string) => idpMetadata.replace("https://idp.example/sso", location);
    for (const location of ["javascript:alert(1)", "data:text/html,x", "http://idp.example/sso", "//idp.example/sso"]) {
      const answer = await readAnswer(await put("sso", { idp_metadata_xml: at(location) }));
      expectProblem(answer, 400, "validation_failed");
      expect(answer.text).toMatch(/SingleSignOnService/);
    }
    for (const location of ["http://127.0.0.1:8080/sso", "http://localhost/sso", "http://[::1]:9000/sso"]) {
      const stored = await put("sso", { idp_metadata_xml: at(location) });
      expect(stored.status, await stored.clone().text()).toBe(200);
      const login = await t.app.request(`/t/corp/v1/saml/sso/login?${new URLSearchParams({ redirect_uri: APP })}`);
      expect((login.headers.get("location") ?? "").slice(0, location.length + 1)).toBe(`${location}?`);
    }
  });
});

describe("SP metadata and login", () => {
  it("publishes SP metadata with the POST ACS and the connection's certificate", async () => {
    await put("meta", { idp_metadata_xml: idpMetadata });
    const response = await t.app.request("/t/corp/v1/saml/meta/metadata");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/samlmetadata\+xml/);
    const xml = await response.text();
    expect(xml).toContain(`entityID="${TEST_PUBLIC_URL}/t/corp/v1/saml/meta/metadata"`);
    expect(xml).toMatch(
      /Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https:\/\/auth\.test\.example\/t\/corp\/v1\/saml\/meta\/acs"/,
    );
    expect(xml).toContain("X509Certificate");
    expectProblem(await readAnswer(await t.app.request("/t/corp/v1/saml/nothing/metadata")), 404, "not_found");
  });

  it("builds SP metadata once per connection configuration", async () => {
    await put("cached", { idp_metadata_xml: idpMetadata });
    const get = async () => (await t.app.request("/t/corp/v1/saml/cached/metadata")).text();
    const before = metadataBuilds;
    const first = await get();
    expect(await get()).toBe(first);
    expect(metadataBuilds - before).toBe(1);
    await put("cached", { idp_metadata_xml: idpMetadata, allow_idp_initiated: true });
    expect(await get()).toBe(first);
    expect(metadataBuilds - before, "an update (new updated_at) builds it again").toBe(2);
  });

  it("redirects to the IdP with a signed AuthnRequest whose ID is remembered", async () => {
    await put("login", { idp_metadata_xml: idpMetadata });
    const query = new URLSearchParams({ redirect_uri: APP, state: "st" });
    const response = await t.app.request(`/t/corp/v1/saml/login/login?${query}`);
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get("location") ?? "");
    expect(location.origin + location.pathname).toBe("https://idp.example/sso");
    expect([...location.searchParams.keys()]).toEqual(["SAMLRequest", "RelayState", "SigAlg", "Signature"]);
    const request = inflateRawSync(Buffer.from(location.searchParams.get("SAMLRequest") ?? "", "base64")).toString();
    expect(request).toContain(`AssertionConsumerServiceURL="${TEST_PUBLIC_URL}/t/corp/v1/saml/login/acs"`);
    const id = /ID="([^"]+)"/.exec(request)?.[1] ?? "";
    const key = `saml-request:${(await t.services.tenants.require("corp")).id}:login:${id}`;
    // Found under the key that names the tenant and the connection, sealed under it.
    const sealed = (await t.deps.kv.get(key)) ?? "";
    const stored = JSON.parse(await t.deps.sealer.open(sealed, key)) as Record<string, unknown>;
    expect(stored).toMatchObject({
      redirectUri: APP,
      clientState: "st",
      relayState: location.searchParams.get("RelayState"),
    });
  });

  it("refuses a redirect_uri off the allowlist and a plain PKCE challenge", async () => {
    await put("strict", { idp_metadata_xml: idpMetadata });
    const off = new URLSearchParams({ redirect_uri: "https://evil.example/cb" });
    expectProblem(
      await readAnswer(await t.app.request(`/t/corp/v1/saml/strict/login?${off}`)),
      400,
      "invalid_redirect_uri",
    );
    const plain = new URLSearchParams({
      redirect_uri: APP,
      code_challenge: "x".repeat(43),
      code_challenge_method: "plain",
    });
    expectProblem(
      await readAnswer(await t.app.request(`/t/corp/v1/saml/strict/login?${plain}`)),
      400,
      "validation_failed",
    );
  });
});
