/**
 * The ACS screen as an attack suite: signatures of shapes the SAML 2.0
 * profile never produces (saml-core §5.4), correctly digested and signed,
 * are refused with 400 `invalid_saml_response` before any XML library sees
 * them: the app's SamlProtocol port is wrapped to count verifyResponse calls,
 * and it is never called. A 90-Reference signature cost ~5 s of CPU before.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { samlifyProtocol } from "../../src/adapters/saml/samlify.js";
import type { SamlProtocol } from "../../src/core/ports/saml.js";
import { appClient, JSON_HEADERS } from "../support/accounts.js";
import { startTestApp, TEST_ADMIN_KEY, TEST_PUBLIC_URL, type TestApp } from "../support/app.js";
import { expectProblem, readAnswer } from "../support/problem.js";
import { asSamlResponse, DSIG_ALGORITHMS, type SignatureShape, signAssertionWithShape } from "../support/saml-forge.js";
import { createSamlIdp, type SamlIdp, type SamlResponseOptions } from "../support/saml-idp.js";

const SP = {
  audience: `${TEST_PUBLIC_URL}/t/corp/v1/saml/acme/metadata`,
  recipient: `${TEST_PUBLIC_URL}/t/corp/v1/saml/acme/acs`,
};
let t: TestApp;
let idp: SamlIdp;
let spCertificate: string;
let verifications = 0;

beforeAll(async () => {
  const counting: SamlProtocol = {
    ...samlifyProtocol,
    verifyResponse(...args) {
      verifications++;
      return samlifyProtocol.verifyResponse(...args);
    },
  };
  // A body limit above the ACS's own bound, as an operator expecting large responses might set.
  t = await startTestApp({ samlProtocol: counting }, { MAX_BODY_BYTES: String(512 * 1024) });
  await appClient(t).createTenant("corp");
  idp = createSamlIdp({ entityId: "https://idp.test/metadata", ssoUrl: "https://idp.test/sso" });
  const put = await t.app.request("/t/corp/v1/admin/saml-connections/acme", {
    method: "PUT",
    headers: { Authorization: `Bearer ${TEST_ADMIN_KEY}`, ...JSON_HEADERS },
    body: JSON.stringify({ idp_metadata_xml: idp.metadataXml, allow_idp_initiated: true }),
  });
  expect(put.status).toBe(200);
  spCertificate = ((await put.json()) as { sp_certificate: string }).sp_certificate;
});
afterAll(async () => {
  await t.close();
});

const unsigned = (options: Partial<SamlResponseOptions> = {}) =>
  idp.responseXml({ nameId: "alice@corp.example", ...SP, sign: "none", ...options });

/** POSTs the response and resolves the problem's detail, expecting verifyResponse never to have run. */
async function refusedUnverified(xml: string): Promise<string> {
  const before = verifications;
  const answer = await readAnswer(
    await t.app.request("/t/corp/v1/saml/acme/acs", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ SAMLResponse: asSamlResponse(xml) }).toString(),
    }),
  );
  expectProblem(answer, 400, "invalid_saml_response");
  expect(verifications - before, "verifyResponse was called").toBe(0);
  return String(answer.json.detail);
}

/** The IdP's own key signing the assertion in this shape: accepted today unless the screen stops it. */
const signedByIdp = async (shape: SignatureShape) =>
  signAssertionWithShape(
    await unsigned(),
    { certificatePem: idp.certificatePem, privateKeyPem: idp.privateKeyPem },
    shape,
  );

describe("the ACS screen", () => {
  it("refuses a signature with 90 References (attacker key, correct digests) unverified, within 1 s", async () => {
    const filler = { filler: Array.from({ length: 400 }, (_, i) => `value-${i}`) };
    const xml = signAssertionWithShape(await unsigned({ attributes: filler }), idp.otherKey, { references: 90 });
    expect(xml.match(/<ds:Reference /g)).toHaveLength(90);
    expect(xml.length).toBeGreaterThan(60_000);
    const started = performance.now();
    expect(await refusedUnverified(xml)).toBe("The signature holds more than one Reference in SignedInfo.");
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it("refuses a third signature", async () => {
    const both = await idp.responseXml({ nameId: "alice@corp.example", ...SP, sign: "both" });
    const signature = /<ds:Signature[\s\S]*?<\/ds:Signature>/.exec(both)?.[0] ?? "";
    const third = both.replace("</samlp:Response>", `${signature}</samlp:Response>`);
    expect(await refusedUnverified(third)).toBe("The response holds more than 2 signatures.");
  });

  it.each([
    ["inclusive C14N", DSIG_ALGORITHMS.c14n],
    ["exclusive C14N with comments", DSIG_ALGORITHMS.excC14nWithComments],
  ])("refuses a %s transform", async (_name, transform) => {
    const xml = await signedByIdp({ transforms: [DSIG_ALGORITHMS.enveloped, transform] });
    expect(await refusedUnverified(xml)).toBe(
      `The transform ${transform} is not enveloped-signature or exclusive C14N.`,
    );
  });

  it("refuses an XPath transform", async () => {
    const xml = (await signedByIdp({})).replace(
      /(<ds:Transforms>)/,
      `$1<ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xpath-19991116"><ds:XPath>not(ancestor-or-self::ds:Signature)</ds:XPath></ds:Transform>`,
    );
    expect(await refusedUnverified(xml)).toMatch(
      /^The transform http:\/\/www\.w3\.org\/TR\/1999\/REC-xpath-19991116 is not/,
    );
  });

  it("refuses a canonicalization other than exclusive C14N", async () => {
    const xml = await signedByIdp({ canonicalization: DSIG_ALGORITHMS.c14n });
    expect(await refusedUnverified(xml)).toBe(`The canonicalization ${DSIG_ALGORITHMS.c14n} is not exclusive C14N.`);
  });

  it("refuses RSA-SHA1 signatures and SHA-1 digests, even from the IdP's key", async () => {
    const sha1 = await signedByIdp({ signatureAlgorithm: DSIG_ALGORITHMS.rsaSha1 });
    expect(await refusedUnverified(sha1)).toBe(`The signature algorithm ${DSIG_ALGORITHMS.rsaSha1} is not accepted.`);
    const digest = await signedByIdp({ digestAlgorithm: DSIG_ALGORITHMS.sha1 });
    expect(await refusedUnverified(digest)).toBe(`The digest algorithm ${DSIG_ALGORITHMS.sha1} is not accepted.`);
  });

  it("refuses a Reference that does not point to the element holding the signature", async () => {
    const signed = await signedByIdp({});
    for (const uri of ['URI=""', 'URI="#_somewhere-else"']) {
      const xml = signed.replace(/URI="#[^"]*"/, uri);
      expect(await refusedUnverified(xml)).toBe(
        "The signature's Reference must point to the ID of the element that holds the signature.",
      );
    }
  });

  it.each([
    ["Object", '<ds:Object><ds:Manifest><ds:Reference URI="#x"/></ds:Manifest></ds:Object>', "Signature"],
    ["RetrievalMethod", '<ds:RetrievalMethod URI="#x"/>', "KeyInfo"],
  ])("refuses a signature holding %s", async (name, element, parent) => {
    const signed = await signedByIdp({ keyInfo: true });
    const xml =
      parent === "KeyInfo"
        ? signed.replace("<ds:KeyInfo>", `<ds:KeyInfo>${element}`)
        : signed.replace("</ds:Signature>", `${element}</ds:Signature>`);
    expect(await refusedUnverified(xml)).toBe(
      `The signature holds a ${name} element in ${parent}, which the SAML profile never uses.`,
    );
  });

  it("refuses a signature anywhere but on the Response or its Assertion", async () => {
    const signed = await signedByIdp({});
    const signature = /<ds:Signature[\s\S]*?<\/ds:Signature>/.exec(signed)?.[0] ?? "";
    const xml = signed.replace(signature, "").replace(/(<saml:Subject>)/, `$1${signature}`);
    expect(await refusedUnverified(xml)).toBe("A signature may only sign the Response or its Assertion.");
  });

  it("refuses elements nested deeper than any IdP's", async () => {
    const deep = `${'<x:n xmlns:x="urn:x">'.repeat(40)}${"</x:n>".repeat(40)}`;
    const xml = (await signedByIdp({})).replace(/(<saml:AttributeValue[^>]*>)/, `$1${deep}`);
    expect(await refusedUnverified(xml)).toBe("The response nests elements deeper than 32.");
  });

  it("refuses a SAMLResponse over 128 KiB of base64", async () => {
    const big = await unsigned({ attributes: { groups: Array.from({ length: 1600 }, (_, i) => `group-${i}`) } });
    expect(asSamlResponse(big).length).toBeGreaterThan(128 * 1024);
    expect(await refusedUnverified(big)).toBe("The SAMLResponse is too large.");
  });

  it("refuses a 90-Reference signature inside an encrypted assertion before samlify verifies it", async () => {
    const signed = signAssertionWithShape(await unsigned(), idp.otherKey, { references: 40 });
    const encrypted = await idp.responseXml({
      nameId: "alice@corp.example",
      ...SP,
      sign: "none",
      // Swap in the forged signed assertion before it is encrypted to our (public) certificate.
      tamper: () => signed,
      encrypt: { certificatePem: spCertificate },
    });
    const started = performance.now();
    const answer = await readAnswer(
      await t.app.request("/t/corp/v1/saml/acme/acs", {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ SAMLResponse: asSamlResponse(encrypted) }).toString(),
      }),
    );
    expectProblem(answer, 400, "invalid_saml_response");
    // Every failure inside an encrypted assertion answers alike (no decryption oracle); the screen's
    // refusal shows in the time: samlify's check of 40 References holds the event loop for seconds.
    expect(answer.json.detail).toBe("The encrypted assertion does not decrypt to a valid, signed assertion.");
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it("still verifies what the profile produces: Response and Assertion signed, encrypted or not", async () => {
    const before = verifications;
    for (const options of [
      { sign: "both" },
      { sign: "response", encrypt: { certificatePem: spCertificate } },
    ] as const) {
      const xml = await idp.responseXml({ nameId: "alice@corp.example", ...SP, ...options });
      const response = await t.app.request("/t/corp/v1/saml/acme/acs", {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ SAMLResponse: asSamlResponse(xml), RelayState: "https://app.example/" }).toString(),
      });
      // The RelayState is not an allowed redirect: the response got through verification to that check.
      expectProblem(await readAnswer(response), 400, "invalid_redirect_uri");
    }
    expect(verifications - before).toBe(2);
  });
});
