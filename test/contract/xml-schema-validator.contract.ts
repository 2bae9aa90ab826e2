import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { XmlSchemaValidator } from "../../src/adapters/saml/xml-schema-validator.js";

/**
 * SAML documents for the schema validator's contract, and the contract: the
 * Node test (test/contract/xml-schema-validator.test.ts) and the workerd test
 * (test/runtime/xml-schema.worker.test.ts) both run it.
 */

/** Deterministic base64 of `bytes` bytes: stands in for digests, signatures and certificates. */
function fakeBase64(seed: string, bytes: number): string {
  const chunks: Buffer[] = [];
  let block = createHash("sha256").update(seed).digest();
  while (chunks.length * 32 < bytes) {
    chunks.push(block);
    block = createHash("sha256").update(block).digest();
  }
  return Buffer.concat(chunks).subarray(0, bytes).toString("base64");
}

const CERTIFICATE = fakeBase64("certificate", 780).replace(/.{64}/g, "$&\n");

function signature(reference: string): string {
  return `<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
    <ds:SignedInfo>
      <ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>
      <ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>
      <ds:Reference URI="#${reference}">
        <ds:Transforms>
          <ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>
          <ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>
        </ds:Transforms>
        <ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>
        <ds:DigestValue>${fakeBase64(`digest ${reference}`, 32)}</ds:DigestValue>
      </ds:Reference>
    </ds:SignedInfo>
    <ds:SignatureValue>${fakeBase64(`signature ${reference}`, 256)}</ds:SignatureValue>
    <ds:KeyInfo><ds:X509Data><ds:X509Certificate>${CERTIFICATE}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>
  </ds:Signature>`;
}

/** A signed-looking samlp:Response (its Assertion signed, as most IdPs send it), about 5 KB. */
export function samlResponse(): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_8e8dc5f69a98cc4c1ff3427e5ce34606fd672f91e6" Version="2.0" IssueInstant="2026-04-26T10:00:00Z" Destination="https://sp.example.com/saml/acs" InResponseTo="_4fee3b046395c4e751011e97f8900b5273d56685">
  <saml:Issuer>https://idp.example.com/metadata</saml:Issuer>
  <samlp:Status>
    <samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/>
  </samlp:Status>
  <saml:Assertion xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xs="http://www.w3.org/2001/XMLSchema" ID="_d71a3a8e9fcc45c9e9d248ef7049393fc8f04e5f75" Version="2.0" IssueInstant="2026-04-26T10:00:00Z">
    <saml:Issuer>https://idp.example.com/metadata</saml:Issuer>
    ${signature("_d71a3a8e9fcc45c9e9d248ef7049393fc8f04e5f75")}
    <saml:Subject>
      <saml:NameID SPNameQualifier="https://sp.example.com/metadata" Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">alice@example.com</saml:NameID>
      <saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">
        <saml:SubjectConfirmationData NotOnOrAfter="2026-04-26T10:05:00Z" Recipient="https://sp.example.com/saml/acs" InResponseTo="_4fee3b046395c4e751011e97f8900b5273d56685"/>
      </saml:SubjectConfirmation>
    </saml:Subject>
    <saml:Conditions NotBefore="2026-04-26T09:59:30Z" NotOnOrAfter="2026-04-26T10:05:00Z">
      <saml:AudienceRestriction>
        <saml:Audience>https://sp.example.com/metadata</saml:Audience>
      </saml:AudienceRestriction>
    </saml:Conditions>
    <saml:AuthnStatement AuthnInstant="2026-04-26T10:00:00Z" SessionNotOnOrAfter="2026-04-26T18:00:00Z" SessionIndex="_be9967abd904ddcae3c0eb4189adbe3f71e327cf93">
      <saml:AuthnContext>
        <saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef>
      </saml:AuthnContext>
    </saml:AuthnStatement>
    <saml:AttributeStatement>
      <saml:Attribute Name="uid" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic">
        <saml:AttributeValue xsi:type="xs:string">alice</saml:AttributeValue>
      </saml:Attribute>
      <saml:Attribute Name="mail" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic">
        <saml:AttributeValue xsi:type="xs:string">alice@example.com</saml:AttributeValue>
      </saml:Attribute>
      <saml:Attribute Name="eduPersonAffiliation" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic">
        <saml:AttributeValue xsi:type="xs:string">member</saml:AttributeValue>
        <saml:AttributeValue xsi:type="xs:string">staff</saml:AttributeValue>
      </saml:Attribute>
      <saml:Attribute Name="displayName" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic">
        <saml:AttributeValue xsi:type="xs:string">Alice Ünïcødé 🔑</saml:AttributeValue>
      </saml:Attribute>
    </saml:AttributeStatement>
  </saml:Assertion>
</samlp:Response>
`;
}

/** An IdP's md:EntityDescriptor as IdPs publish it (KeyDescriptors, SSO services, md:Organization with xml:lang). */
export function idpMetadata(): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="https://idp.example.com/metadata" validUntil="2036-01-01T00:00:00Z">
  <md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing">
      <ds:KeyInfo><ds:X509Data><ds:X509Certificate>${CERTIFICATE}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>
    </md:KeyDescriptor>
    <md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example.com/slo"/>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example.com/sso"/>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://idp.example.com/sso"/>
  </md:IDPSSODescriptor>
  <md:Organization>
    <md:OrganizationName xml:lang="en">Example</md:OrganizationName>
    <md:OrganizationDisplayName xml:lang="en">Example IdP</md:OrganizationDisplayName>
    <md:OrganizationURL xml:lang="en">https://example.com/</md:OrganizationURL>
  </md:Organization>
  <md:ContactPerson contactType="technical">
    <md:EmailAddress>mailto:it@example.com</md:EmailAddress>
  </md:ContactPerson>
</md:EntityDescriptor>
`;
}

function authnRequest(): string {
  return `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_4fee3b046395c4e751011e97f8900b5273d56685" Version="2.0" IssueInstant="2026-04-26T10:00:00Z" Destination="https://idp.example.com/sso" ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" AssertionConsumerServiceURL="https://sp.example.com/saml/acs"><saml:Issuer>https://sp.example.com/metadata</saml:Issuer><samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress" AllowCreate="true"/></samlp:AuthnRequest>`;
}

/** Replaces exactly one occurrence of `from`, so that a fixture change cannot silently stop applying. */
function replaceOnce(xml: string, from: string | RegExp, to: string): string {
  const count = typeof from === "string" ? xml.split(from).length - 1 : (xml.match(new RegExp(from, "g")) ?? []).length;
  if (count !== 1) throw new Error(`expected one ${String(from)} in the fixture, found ${count}`);
  return xml.replace(from, to);
}

/** Invalid documents: a label, the document, and a pattern one of the errors must match. */
export function invalidDocuments(): [string, string, RegExp][] {
  const response = samlResponse();
  return [
    [
      "a Response without its required IssueInstant",
      replaceOnce(
        response,
        ' Version="2.0" IssueInstant="2026-04-26T10:00:00Z" Destination',
        ' Version="2.0" Destination',
      ),
      /IssueInstant.*required/,
    ],
    [
      "an Assertion without its required ID",
      replaceOnce(response, ' ID="_d71a3a8e9fcc45c9e9d248ef7049393fc8f04e5f75"', ""),
      /'ID'.*required/,
    ],
    ["an Attribute without its required Name", replaceOnce(response, ' Name="uid"', ""), /'Name'.*required/],
    [
      "a Status in the assertion namespace (wrong namespace)",
      response.replace("<samlp:Status>", "<saml:Status>").replace("</samlp:Status>", "</saml:Status>"),
      /Status/,
    ],
    [
      "an Audience in an unknown namespace (wrong namespace)",
      replaceOnce(
        response,
        "<saml:Audience>https://sp.example.com/metadata</saml:Audience>",
        '<x:Audience xmlns:x="urn:oasis:names:tc:SAML:2.0:assertio">https://sp.example.com/metadata</x:Audience>',
      ),
      /Audience/,
    ],
    [
      "a Response whose root is in a wrong namespace",
      replaceOnce(
        response,
        'xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"',
        'xmlns:samlp="urn:oasis:names:tc:SAML:1.0:protocol"',
      ),
      /root element/,
    ],
    [
      "an unknown element in the Response",
      replaceOnce(response, "  <samlp:Status>", "  <samlp:Unknown/>\n  <samlp:Status>"),
      /Unknown/,
    ],
    [
      "an unknown element in the Assertion's Subject",
      replaceOnce(response, "<saml:SubjectConfirmation Method", "<saml:Evil/><saml:SubjectConfirmation Method"),
      /Evil/,
    ],
    [
      "elements out of order (Status before Issuer)",
      // The first Issuer is the Response's.
      response
        .replace(/<samlp:Status>[\s\S]*?<\/samlp:Status>/, "")
        .replace(
          "<saml:Issuer>https://idp.example.com/metadata</saml:Issuer>",
          '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status><saml:Issuer>https://idp.example.com/metadata</saml:Issuer>',
        ),
      /Issuer|Status/,
    ],
    [
      "a malformed IssueInstant (xs:dateTime)",
      replaceOnce(response, 'IssueInstant="2026-04-26T10:00:00Z" Destination', 'IssueInstant="yesterday" Destination'),
      /IssueInstant/,
    ],
    [
      "a Response without its Status",
      response.replace(/<samlp:Status>[\s\S]*?<\/samlp:Status>/, ""),
      /Status|Assertion/,
    ],
    ["a document that is not well-formed", response.replace("</samlp:Response>", "</samlp:Respons>"), /line \d+/],
    ["a truncated document", response.slice(0, 2000), /line \d+|well-formed/],
    [
      "a DOCTYPE with an entity",
      response.replace("<samlp:Response", '<!DOCTYPE samlp:Response [<!ENTITY x "y">]>\n<samlp:Response'),
      /DOCTYPE/,
    ],
    ["a lone saml:Assertion (not a protocol message)", extractAssertion(response), /root element/],
    [
      "metadata whose EntityDescriptor lacks entityID",
      replaceOnce(idpMetadata(), ' entityID="https://idp.example.com/metadata"', ""),
      /entityID.*required/,
    ],
    [
      "metadata with an unknown element",
      replaceOnce(idpMetadata(), "  <md:Organization>", "  <md:Bogus/>\n  <md:Organization>"),
      /Bogus/,
    ],
    [
      "a metadata element other than EntityDescriptor as root",
      '<md:Organization xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"/>',
      /root element/,
    ],
    ["an empty string", "", /root element/],
    ["plain text", "hello", /root element/],
  ];
}

function extractAssertion(response: string): string {
  const start = response.indexOf("<saml:Assertion");
  const end = response.indexOf("</saml:Assertion>") + "</saml:Assertion>".length;
  return response
    .slice(start, end)
    .replace("<saml:Assertion ", '<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ');
}

export const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

/** The XmlSchemaValidator port's contract over SAML documents; the Node adapter and the one inside workerd run it. */
export function xmlSchemaValidatorContract(name: string, open: () => Promise<XmlSchemaValidator>): void {
  describe(`XmlSchemaValidator contract: ${name}`, () => {
    it("passes a signed-looking samlp:Response of about 5 KB", async () => {
      const xml = samlResponse();
      expect(xml.length).toBeGreaterThan(4500);
      expect(xml.length).toBeLessThan(6000);
      expect(await (await open()).validate(xml)).toEqual({ valid: true, errors: [] });
    });

    it("passes the Response without its XML declaration, with a BOM, and after a comment", async () => {
      const validator = await open();
      const body = samlResponse().replace(/^<\?xml[^>]*\?>\s*/, "");
      expect((await validator.validate(body)).valid).toBe(true);
      expect((await validator.validate(`\uFEFF${body}`)).valid).toBe(true);
      expect((await validator.validate(`<!-- a comment -->\n${body}`)).valid).toBe(true);
    });

    it("passes an AuthnRequest and an IdP's metadata", async () => {
      const validator = await open();
      expect(await validator.validate(authnRequest())).toEqual({ valid: true, errors: [] });
      expect(await validator.validate(idpMetadata())).toEqual({ valid: true, errors: [] });
    });

    it("passes md:EntitiesDescriptor around entity descriptors", async () => {
      const inner = idpMetadata()
        .replace(/^<\?xml[^>]*\?>\s*/, "")
        .replace(/ xmlns:(md|ds)="[^"]*"/g, "");
      const xml = `<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" Name="federation">${inner}${inner.replace("https://idp.example.com/metadata", "https://idp2.example.com/metadata")}</md:EntitiesDescriptor>`;
      expect(await (await open()).validate(xml)).toEqual({ valid: true, errors: [] });
    });

    it.each(invalidDocuments())("fails %s", async (_label, xml, reason) => {
      const result = await (await open()).validate(xml);
      expect(result.valid).toBe(false);
      expect(result.errors.length).toBeGreaterThan(0);
      expect(result.errors.join("\n")).toMatch(reason);
    });

    it("keeps answering correctly when validations overlap", async () => {
      const validator = await open();
      const [bad] = invalidDocuments();
      const documents = Array.from({ length: 12 }, (_, i) => (i % 3 === 0 ? (bad?.[1] as string) : samlResponse()));
      const results = await Promise.all(documents.map((xml) => validator.validate(xml)));
      expect(results.map((r) => r.valid)).toEqual(documents.map((_, i) => i % 3 !== 0));
    });

    it("survives hostile shapes: deep nesting and many attributes fail or pass without crashing", async () => {
      const validator = await open();
      const deep = replaceOnce(
        samlResponse(),
        '<saml:AttributeValue xsi:type="xs:string">alice</saml:AttributeValue>',
        `<saml:AttributeValue>${"<x:a xmlns:x='urn:x'>".repeat(5000)}${"</x:a>".repeat(5000)}</saml:AttributeValue>`,
      );
      const deepResult = await validator.validate(deep);
      expect(deepResult.valid).toBe(false);
      // And the validator is still fine afterwards.
      expect((await validator.validate(samlResponse())).valid).toBe(true);
    });

    it("passes a large Response (2,000 attributes, about 300 KB) within its memory", async () => {
      const attributes = Array.from(
        { length: 2000 },
        (_, i) =>
          `<saml:Attribute Name="attribute${i}"><saml:AttributeValue xsi:type="xs:string">${fakeBase64(`value ${i}`, 60)}</saml:AttributeValue></saml:Attribute>`,
      ).join("");
      const xml = replaceOnce(samlResponse(), "<saml:AttributeStatement>", `<saml:AttributeStatement>${attributes}`);
      expect(xml.length).toBeGreaterThan(250_000);
      expect(await (await open()).validate(xml)).toEqual({ valid: true, errors: [] });
    });
  });
}
