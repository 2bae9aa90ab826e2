import {
  constants,
  createDecipheriv,
  createPrivateKey,
  sign as cryptoSign,
  privateDecrypt,
  X509Certificate,
} from "node:crypto";
import { deflateRawSync } from "node:zlib";
import { DOMParser } from "@xmldom/xmldom";
import { beforeAll, describe, expect, it } from "vitest";
import { SignedXml } from "xml-crypto";
import {
  ATTACKER_NAME_ID,
  BINDING_POST,
  BINDING_REDIRECT,
  certificateBody,
  createSamlIdp,
  createTestCertificate,
  NAMEID_FORMAT_EMAIL,
  parseAuthnRequest,
  SAML_NS,
  type SamlIdp,
  type SamlResponseOptions,
  type TestKeyPair,
  verifyRedirectSignature,
  WRAP_VARIANTS,
  type WrapVariant,
} from "./saml-idp";

const SP_ENTITY = "https://sp.test/saml/metadata";
const ACS = "https://sp.test/saml/acs";
const USER = "alice@corp.example";

let idp: SamlIdp;
let sp: TestKeyPair;

beforeAll(() => {
  idp = createSamlIdp({ entityId: "https://idp.test/metadata", ssoUrl: "https://idp.test/sso" });
  sp = createTestCertificate("SP encryption");
});

const base = (extra: Partial<SamlResponseOptions> = {}): SamlResponseOptions => ({
  nameId: USER,
  audience: SP_ENTITY,
  recipient: ACS,
  inResponseTo: "_req1",
  ...extra,
});

function parse(xml: string): Document {
  const errors: string[] = [];
  const doc = new DOMParser({
    errorHandler: {
      warning: () => {},
      error: (m: string) => errors.push(m),
      fatalError: (m: string) => errors.push(m),
    },
  }).parseFromString(xml, "text/xml");
  expect(errors).toEqual([]);
  return doc;
}

function root(doc: Document): Element {
  const el = doc.documentElement;
  if (!el) throw new Error("no document element");
  return el;
}

function children(el: Element): Element[] {
  const out: Element[] = [];
  for (let n = el.firstChild; n; n = n.nextSibling) if (n.nodeType === 1) out.push(n as Element);
  return out;
}

function all(doc: Document | Element, ns: string, name: string): Element[] {
  return Array.from(doc.getElementsByTagNameNS(ns, name));
}

function one(doc: Document | Element, ns: string, name: string): Element {
  const found = all(doc, ns, name);
  if (found.length !== 1) throw new Error(`expected one ${name}, found ${found.length}`);
  return found[0] as Element;
}

/** The Signature whose single Reference points at `#id`. */
function signatureFor(doc: Document, id: string): Element {
  const sig = all(doc, SAML_NS.dsig, "Signature").find(
    (s) => all(s, SAML_NS.dsig, "Reference")[0]?.getAttribute("URI") === `#${id}`,
  );
  if (!sig) throw new Error(`no signature references #${id}`);
  return sig;
}

/** xml-crypto's own verification of the signature over element `id`: the canonical signed XML, or null when it fails. */
function verifiedContent(xml: string, id: string, certificatePem: string): string | null {
  const doc = parse(xml);
  const verifier = new SignedXml({ publicCert: certificatePem });
  verifier.loadSignature(signatureFor(doc, id));
  try {
    if (verifier.checkSignature(xml) !== true) return null;
  } catch {
    return null;
  }
  const refs = verifier.getSignedReferences();
  expect(refs).toHaveLength(1);
  return refs[0] ?? null;
}

const decode = (b64: string) => Buffer.from(b64, "base64").toString("utf8");

describe("metadata", () => {
  it("is a well-formed EntityDescriptor with a signing key, emailAddress and a Redirect SSO endpoint", () => {
    const doc = parse(idp.metadataXml);
    const entity = root(doc);
    expect(entity.namespaceURI).toBe(SAML_NS.metadata);
    expect(entity.localName).toBe("EntityDescriptor");
    expect(entity.getAttribute("entityID")).toBe("https://idp.test/metadata");
    const descriptor = one(doc, SAML_NS.metadata, "IDPSSODescriptor");
    expect(descriptor.getAttribute("protocolSupportEnumeration")).toBe(SAML_NS.protocol);
    expect(children(descriptor).map((c) => c.localName)).toEqual([
      "KeyDescriptor",
      "NameIDFormat",
      "SingleSignOnService",
    ]);
    const key = one(doc, SAML_NS.metadata, "KeyDescriptor");
    expect(key.getAttribute("use")).toBe("signing");
    expect(one(key, SAML_NS.dsig, "X509Certificate").textContent).toBe(certificateBody(idp.certificatePem));
    expect(one(doc, SAML_NS.metadata, "NameIDFormat").textContent).toBe(NAMEID_FORMAT_EMAIL);
    const sso = one(doc, SAML_NS.metadata, "SingleSignOnService");
    expect(sso.getAttribute("Binding")).toBe(BINDING_REDIRECT);
    expect(sso.getAttribute("Location")).toBe("https://idp.test/sso");
  });

  it("ships certificates that match their keys, and the other key is not published", () => {
    const cert = new X509Certificate(idp.certificatePem);
    expect(cert.checkPrivateKey(createPrivateKey(idp.privateKeyPem))).toBe(true);
    const other = new X509Certificate(idp.otherKey.certificatePem);
    expect(other.checkPrivateKey(createPrivateKey(idp.otherKey.privateKeyPem))).toBe(true);
    expect(cert.fingerprint256).not.toBe(other.fingerprint256);
    expect(idp.metadataXml).not.toContain(certificateBody(idp.otherKey.certificatePem));
  });
});

describe("AuthnRequest parsing (HTTP-Redirect)", () => {
  const requestXml =
    `<samlp:AuthnRequest xmlns:samlp="${SAML_NS.protocol}" xmlns:saml="${SAML_NS.assertion}" ID="_abc123" Version="2.0"` +
    ` IssueInstant="2026-01-01T00:00:00Z" Destination="https://idp.test/sso" ProtocolBinding="${BINDING_POST}"` +
    ` AssertionConsumerServiceURL="${ACS}"><saml:Issuer>${SP_ENTITY}</saml:Issuer>` +
    `<samlp:NameIDPolicy Format="${NAMEID_FORMAT_EMAIL}" AllowCreate="true"/></samlp:AuthnRequest>`;
  const samlRequest = encodeURIComponent(deflateRawSync(Buffer.from(requestXml)).toString("base64"));

  it("inflates SAMLRequest and reads ID, ACS URL, Issuer and RelayState", () => {
    const parsed = idp.parseAuthnRequest(
      `https://idp.test/sso?SAMLRequest=${samlRequest}&RelayState=${encodeURIComponent("state /x?y=1")}`,
    );
    expect(parsed).toMatchObject({
      id: "_abc123",
      acsUrl: ACS,
      issuer: SP_ENTITY,
      relayState: "state /x?y=1",
      destination: "https://idp.test/sso",
      protocolBinding: BINDING_POST,
      nameIdPolicyFormat: NAMEID_FORMAT_EMAIL,
      forceAuthn: false,
      isPassive: false,
      endpoint: "https://idp.test/sso",
      sigAlg: undefined,
      signature: undefined,
    });
    expect(parsed.xml).toBe(requestXml);
    expect(verifyRedirectSignature(parsed, idp.certificatePem)).toBe(false);
  });

  it("has no RelayState when none is sent, and rejects a URL without SAMLRequest", () => {
    expect(parseAuthnRequest(`https://idp.test/sso?SAMLRequest=${samlRequest}`).relayState).toBeUndefined();
    expect(() => parseAuthnRequest("https://idp.test/sso?RelayState=x")).toThrow(/SAMLRequest/);
  });

  it("verifies a redirect-binding signature over the raw query octets", () => {
    const sigAlg = encodeURIComponent("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256");
    const relay = encodeURIComponent("r+1");
    const octets = `SAMLRequest=${samlRequest}&RelayState=${relay}&SigAlg=${sigAlg}`;
    const signature = cryptoSign("sha256", Buffer.from(octets), sp.privateKeyPem).toString("base64");
    const parsed = parseAuthnRequest(`https://idp.test/sso?${octets}&Signature=${encodeURIComponent(signature)}`);
    expect(parsed.relayState).toBe("r+1");
    expect(parsed.signedOctets).toBe(octets);
    expect(verifyRedirectSignature(parsed, sp.certificatePem)).toBe(true);
    expect(verifyRedirectSignature(parsed, idp.certificatePem)).toBe(false);
  });

  it("fills inResponseTo, recipient and audience from respondTo", async () => {
    const parsed = parseAuthnRequest(`https://idp.test/sso?SAMLRequest=${samlRequest}`);
    const doc = parse(await idp.responseXml({ respondTo: parsed, nameId: USER }));
    expect(root(doc).getAttribute("InResponseTo")).toBe("_abc123");
    expect(root(doc).getAttribute("Destination")).toBe(ACS);
    expect(one(doc, SAML_NS.assertion, "Audience").textContent).toBe(SP_ENTITY);
  });
});

describe("responses", () => {
  it("builds the full structure and signs the assertion after its Issuer", async () => {
    const now = new Date("2026-03-01T10:00:00.000Z");
    const b64 = await idp.response(
      base({
        now,
        notOnOrAfter: new Date("2026-03-01T10:05:00.000Z"),
        attributes: { email: USER, name: "Alice", displayName: "Alice A." },
      }),
    );
    const xml = decode(b64);
    const doc = parse(xml);
    const response = root(doc);
    expect(response.namespaceURI).toBe(SAML_NS.protocol);
    expect(response.localName).toBe("Response");
    expect(response.getAttribute("Destination")).toBe(ACS);
    expect(response.getAttribute("InResponseTo")).toBe("_req1");
    expect(response.getAttribute("IssueInstant")).toBe(now.toISOString());
    expect(children(response).map((c) => c.localName)).toEqual(["Issuer", "Status", "Assertion"]);
    expect(one(doc, SAML_NS.protocol, "StatusCode").getAttribute("Value")).toBe(
      "urn:oasis:names:tc:SAML:2.0:status:Success",
    );

    const assertion = one(doc, SAML_NS.assertion, "Assertion");
    expect(children(assertion).map((c) => c.localName)).toEqual([
      "Issuer",
      "Signature",
      "Subject",
      "Conditions",
      "AuthnStatement",
      "AttributeStatement",
    ]);
    const nameId = one(doc, SAML_NS.assertion, "NameID");
    expect(nameId.textContent).toBe(USER);
    expect(nameId.getAttribute("Format")).toBe(NAMEID_FORMAT_EMAIL);
    expect(one(doc, SAML_NS.assertion, "SubjectConfirmation").getAttribute("Method")).toBe(
      "urn:oasis:names:tc:SAML:2.0:cm:bearer",
    );
    const data = one(doc, SAML_NS.assertion, "SubjectConfirmationData");
    expect(data.getAttribute("Recipient")).toBe(ACS);
    expect(data.getAttribute("InResponseTo")).toBe("_req1");
    expect(data.getAttribute("NotOnOrAfter")).toBe("2026-03-01T10:05:00.000Z");
    const conditions = one(doc, SAML_NS.assertion, "Conditions");
    expect(conditions.getAttribute("NotBefore")).toBe(now.toISOString());
    expect(conditions.getAttribute("NotOnOrAfter")).toBe("2026-03-01T10:05:00.000Z");
    expect(one(doc, SAML_NS.assertion, "Audience").textContent).toBe(SP_ENTITY);
    expect(one(doc, SAML_NS.assertion, "AuthnStatement").getAttribute("AuthnInstant")).toBe(now.toISOString());
    const attrs = Object.fromEntries(
      all(doc, SAML_NS.assertion, "Attribute").map((a) => [a.getAttribute("Name"), a.textContent]),
    );
    expect(attrs).toEqual({ email: USER, name: "Alice", displayName: "Alice A." });

    const sig = one(doc, SAML_NS.dsig, "Signature");
    expect(one(sig, SAML_NS.dsig, "SignatureMethod").getAttribute("Algorithm")).toBe(
      "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    );
    expect(one(sig, SAML_NS.dsig, "CanonicalizationMethod").getAttribute("Algorithm")).toBe(
      "http://www.w3.org/2001/10/xml-exc-c14n#",
    );
    const id = assertion.getAttribute("ID") ?? "";
    expect(id).toMatch(/^_[0-9a-f]{40}$/);
    const signed = verifiedContent(xml, id, idp.certificatePem);
    expect(signed).toContain(USER);
    // InclusiveNamespaces PrefixList="xs" keeps the xsi:type prefix declared in the signed octets.
    expect(signed).toContain('xmlns:xs="http://www.w3.org/2001/XMLSchema"');
    expect(verifiedContent(xml, id, idp.otherKey.certificatePem)).toBeNull();
  });

  it("omits InResponseTo for an unsolicited response", async () => {
    const doc = parse(await idp.responseXml(base({ inResponseTo: undefined })));
    expect(root(doc).hasAttribute("InResponseTo")).toBe(false);
    expect(one(doc, SAML_NS.assertion, "SubjectConfirmationData").hasAttribute("InResponseTo")).toBe(false);
  });

  it("signs the response only, both, or nothing", async () => {
    const responseOnly = await idp.responseXml(base({ sign: "response" }));
    let doc = parse(responseOnly);
    expect(children(root(doc)).map((c) => c.localName)).toEqual(["Issuer", "Signature", "Status", "Assertion"]);
    expect(all(doc, SAML_NS.dsig, "Signature")).toHaveLength(1);
    expect(verifiedContent(responseOnly, root(doc).getAttribute("ID") ?? "", idp.certificatePem)).toContain(USER);

    const both = await idp.responseXml(base({ sign: "both" }));
    doc = parse(both);
    expect(all(doc, SAML_NS.dsig, "Signature")).toHaveLength(2);
    expect(verifiedContent(both, root(doc).getAttribute("ID") ?? "", idp.certificatePem)).not.toBeNull();
    const assertionId = one(doc, SAML_NS.assertion, "Assertion").getAttribute("ID") ?? "";
    expect(verifiedContent(both, assertionId, idp.certificatePem)).not.toBeNull();

    doc = parse(await idp.responseXml(base({ sign: "none" })));
    expect(all(doc, SAML_NS.dsig, "Signature")).toHaveLength(0);
  });

  it("signs with the other key on request, which the published certificate rejects", async () => {
    const xml = await idp.responseXml(base({ sign: "both", signWith: "other" }));
    const doc = parse(xml);
    for (const id of [root(doc).getAttribute("ID"), one(doc, SAML_NS.assertion, "Assertion").getAttribute("ID")]) {
      expect(verifiedContent(xml, id ?? "", idp.certificatePem)).toBeNull();
      expect(verifiedContent(xml, id ?? "", idp.otherKey.certificatePem)).not.toBeNull();
    }
    for (const cert of all(doc, SAML_NS.dsig, "X509Certificate")) {
      expect(cert.textContent).toBe(certificateBody(idp.otherKey.certificatePem));
    }
  });

  it("sends a failed status without an assertion", async () => {
    const doc = parse(
      await idp.responseXml(base({ statusCode: "urn:oasis:names:tc:SAML:2.0:status:Responder", sign: "response" })),
    );
    expect(all(doc, SAML_NS.assertion, "Assertion")).toHaveLength(0);
    expect(one(doc, SAML_NS.protocol, "StatusCode").getAttribute("Value")).toMatch(/Responder$/);
  });

  it("lets beforeSigning edit what gets signed", async () => {
    const xml = await idp.responseXml(
      base({ beforeSigning: { assertion: (x) => x.replace(SP_ENTITY, "https://other-sp.test") } }),
    );
    const doc = parse(xml);
    const id = one(doc, SAML_NS.assertion, "Assertion").getAttribute("ID") ?? "";
    expect(verifiedContent(xml, id, idp.certificatePem)).toContain("https://other-sp.test");
  });
});

describe("tampering after signing", () => {
  it.each(["nameId", "audience", "notOnOrAfter", "signatureValue"] as const)(
    "%s breaks the signature",
    async (preset) => {
      const honest = await idp.responseXml(base({ sign: "both" }));
      const xml = await idp.responseXml(base({ sign: "both", tamper: preset }));
      expect(xml).not.toBe(honest);
      const doc = parse(xml);
      const assertionId = one(doc, SAML_NS.assertion, "Assertion").getAttribute("ID") ?? "";
      expect(verifiedContent(xml, assertionId, idp.certificatePem)).toBeNull();
      expect(verifiedContent(xml, root(doc).getAttribute("ID") ?? "", idp.certificatePem)).toBeNull();
      if (preset === "nameId") expect(one(doc, SAML_NS.assertion, "NameID").textContent).toBe(ATTACKER_NAME_ID);
    },
  );

  it("a tamper function edits the final XML", async () => {
    const xml = await idp.responseXml(base({ tamper: (x) => x.replace(USER, "mallory@corp.example") }));
    const doc = parse(xml);
    expect(one(doc, SAML_NS.assertion, "NameID").textContent).toBe("mallory@corp.example");
    const id = one(doc, SAML_NS.assertion, "Assertion").getAttribute("ID") ?? "";
    expect(verifiedContent(xml, id, idp.certificatePem)).toBeNull();
  });

  it("a comment in the NameID keeps the signature valid but truncates a naive first-text-node read", async () => {
    const xml = await idp.responseXml(
      base({ nameId: "victim@corp.example.evil.test", tamper: { commentInNameId: "victim@corp.example" } }),
    );
    expect(xml).toContain("victim@corp.example<!---->.evil.test");
    const doc = parse(xml);
    const id = one(doc, SAML_NS.assertion, "Assertion").getAttribute("ID") ?? "";
    expect(verifiedContent(xml, id, idp.certificatePem)).toContain(">victim@corp.example.evil.test<");
    const nameId = one(doc, SAML_NS.assertion, "NameID");
    expect(nameId.firstChild?.nodeValue).toBe("victim@corp.example");
  });
});

describe("signature wrapping", () => {
  /** How an unwary SP picks "the" assertion in each variant: it lands on the forged one. */
  const unwaryPick: Record<WrapVariant, (doc: Document) => Element | undefined> = {
    "forged-assertion-before": (doc) => all(doc, SAML_NS.assertion, "Assertion")[0],
    "forged-assertion-after": (doc) => all(doc, SAML_NS.assertion, "Assertion").at(-1),
    "signed-assertion-in-extensions": (doc) =>
      children(root(doc)).find((c) => c.localName === "Assertion" && c.namespaceURI === SAML_NS.assertion),
    "signed-assertion-in-advice": (doc) => all(doc, SAML_NS.assertion, "Assertion")[0],
    // "The assertion whose child is a valid Signature".
    "signature-moved-to-forged": (doc) => {
      const parent = all(doc, SAML_NS.dsig, "Signature")[0]?.parentNode;
      return parent?.nodeType === 1 ? (parent as Element) : undefined;
    },
    // The Assertion child of the document element (the original Response is nested deeper).
    "response-wrapped": (doc) =>
      children(root(doc)).find((c) => c.localName === "Assertion" && c.namespaceURI === SAML_NS.assertion),
    "response-signature-moved": (doc) =>
      children(root(doc)).find((c) => c.localName === "Assertion" && c.namespaceURI === SAML_NS.assertion),
  };

  it("offers at least four variants", () => {
    expect(WRAP_VARIANTS.length).toBeGreaterThanOrEqual(4);
  });

  it.each(WRAP_VARIANTS)(
    "%s keeps a verifiable original signature while the unwary pick is forged",
    async (variant) => {
      const sign = variant.startsWith("response-") ? "response" : "assertion";
      const honest = parse(await idp.responseXml(base({ sign })));
      expect(honest).toBeDefined();
      const xml = await idp.responseXml(base({ sign, wrap: variant }));
      const doc = parse(xml);

      // Exactly one signature, referencing an element that holds the real user.
      const signatures = all(doc, SAML_NS.dsig, "Signature");
      expect(signatures).toHaveLength(1);
      const uri = all(signatures[0] as Element, SAML_NS.dsig, "Reference")[0]?.getAttribute("URI") ?? "";
      const signedId = uri.slice(1);
      const signedContent = verifiedContent(xml, signedId, idp.certificatePem);
      expect(signedContent).toContain(`>${USER}<`);
      expect(signedContent).not.toContain(ATTACKER_NAME_ID);
      expect(verifiedContent(xml, signedId, idp.otherKey.certificatePem)).toBeNull();

      // No duplicate IDs (xml-crypto would refuse those outright).
      const ids = [...all(doc, SAML_NS.protocol, "Response"), ...all(doc, SAML_NS.assertion, "Assertion")].map((e) =>
        e.getAttribute("ID"),
      );
      expect(new Set(ids).size).toBe(ids.length);

      const picked = unwaryPick[variant](doc);
      expect(picked?.localName).toBe("Assertion");
      expect(picked?.getAttribute("ID")).not.toBe(signedId);
      const pickedNameId = children(picked as Element)
        .find((c) => c.localName === "Subject")
        ?.getElementsByTagNameNS(SAML_NS.assertion, "NameID")[0];
      expect(pickedNameId?.textContent).toBe(ATTACKER_NAME_ID);
    },
  );

  it("uses the forged identity given in the wrap options", async () => {
    const xml = await idp.responseXml(
      base({ wrap: { variant: "forged-assertion-before", nameId: "ceo@corp.example", attributes: { role: "admin" } } }),
    );
    const first = all(parse(xml), SAML_NS.assertion, "Assertion")[0] as Element;
    expect(one(first, SAML_NS.assertion, "NameID").textContent).toBe("ceo@corp.example");
    expect(one(first, SAML_NS.assertion, "Attribute").getAttribute("Name")).toBe("role");
  });

  it("refuses a variant whose element is not signed", async () => {
    await expect(idp.responseXml(base({ sign: "response", wrap: "forged-assertion-before" }))).rejects.toThrow();
    await expect(idp.responseXml(base({ sign: "assertion", wrap: "response-wrapped" }))).rejects.toThrow();
  });
});

describe("DOCTYPE", () => {
  it("prefixes an internal entity declaration", async () => {
    const xml = await idp.responseXml(base({ doctype: "entity" }));
    expect(xml).toMatch(/^<!DOCTYPE samlp:Response \[<!ENTITY idp-name "[^"]+">\]><samlp:Response /);
  });

  it("prefixes a billion-laughs chain and references it", async () => {
    const xml = decode(await idp.response(base({ doctype: "billion-laughs" })));
    expect(xml.startsWith("<!DOCTYPE samlp:Response [")).toBe(true);
    expect(xml).toContain('<!ENTITY lol9 "&lol8;&lol8;');
    expect(xml).toContain("&lol9;</lol></samlp:Extensions><samlp:Status>");
  });
});

describe("encryption", () => {
  /** Independent decryption with node:crypto: RSA-OAEP (SHA-1) key transport, then AES-GCM or AES-CBC. */
  function decryptAssertion(xml: string, privateKeyPem: string): string {
    const doc = parse(xml);
    const encrypted = one(doc, SAML_NS.assertion, "EncryptedAssertion");
    const data = children(encrypted).find((c) => c.localName === "EncryptedData") as Element;
    const algorithm = children(data)[0]?.getAttribute("Algorithm") ?? "";
    const encryptedKey = one(data, SAML_NS.xenc, "EncryptedKey");
    expect(one(encryptedKey, SAML_NS.xenc, "EncryptionMethod").getAttribute("Algorithm")).toBe(
      "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p",
    );
    const key = privateDecrypt(
      { key: privateKeyPem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha1" },
      Buffer.from(one(encryptedKey, SAML_NS.xenc, "CipherValue").textContent ?? "", "base64"),
    );
    const cipherData = children(data).find((c) => c.localName === "CipherData") as Element;
    const bytes = Buffer.from(one(cipherData, SAML_NS.xenc, "CipherValue").textContent ?? "", "base64");
    if (algorithm === "http://www.w3.org/2009/xmlenc11#aes256-gcm") {
      const decipher = createDecipheriv("aes-256-gcm", key, bytes.subarray(0, 12));
      decipher.setAuthTag(bytes.subarray(-16));
      return Buffer.concat([decipher.update(bytes.subarray(12, -16)), decipher.final()]).toString("utf8");
    }
    expect(algorithm).toBe("http://www.w3.org/2001/04/xmlenc#aes256-cbc");
    const decipher = createDecipheriv("aes-256-cbc", key, bytes.subarray(0, 16));
    return Buffer.concat([decipher.update(bytes.subarray(16)), decipher.final()]).toString("utf8");
  }

  it.each(["aes256-gcm", "aes256-cbc"] as const)(
    "%s: EncryptedAssertion holds the signed assertion; response signed over the ciphertext",
    async (algorithm) => {
      const xml = await idp.responseXml(
        base({ sign: "both", encrypt: { certificatePem: sp.certificatePem, algorithm } }),
      );
      const doc = parse(xml);
      expect(children(root(doc)).map((c) => c.localName)).toEqual([
        "Issuer",
        "Signature",
        "Status",
        "EncryptedAssertion",
      ]);
      expect(all(doc, SAML_NS.assertion, "Assertion")).toHaveLength(0);
      expect(xml).not.toContain(USER);
      expect(verifiedContent(xml, root(doc).getAttribute("ID") ?? "", idp.certificatePem)).not.toBeNull();

      const assertionXml = decryptAssertion(xml, sp.privateKeyPem);
      const assertionDoc = parse(assertionXml);
      expect(one(assertionDoc, SAML_NS.assertion, "NameID").textContent).toBe(USER);
      const id = root(assertionDoc).getAttribute("ID") ?? "";
      expect(verifiedContent(assertionXml, id, idp.certificatePem)).toContain(USER);
    },
  );

  it("tamper runs before encryption, so only the inner assertion signature catches it", async () => {
    const xml = await idp.responseXml(
      base({ sign: "both", tamper: "nameId", encrypt: { certificatePem: sp.certificatePem } }),
    );
    const doc = parse(xml);
    expect(verifiedContent(xml, root(doc).getAttribute("ID") ?? "", idp.certificatePem)).not.toBeNull();
    const assertionXml = decryptAssertion(xml, sp.privateKeyPem);
    const assertionDoc = parse(assertionXml);
    expect(one(assertionDoc, SAML_NS.assertion, "NameID").textContent).toBe(ATTACKER_NAME_ID);
    const id = root(assertionDoc).getAttribute("ID") ?? "";
    expect(verifiedContent(assertionXml, id, idp.certificatePem)).toBeNull();
  });
});
