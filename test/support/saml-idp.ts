import { execFileSync } from "node:child_process";
import { verify as cryptoVerify, randomBytes, X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inflateRawSync } from "node:zlib";
import { DOMParser, XMLSerializer } from "@xmldom/xmldom";
import { SignedXml } from "xml-crypto";

/**
 * A SAML 2.0 identity provider for tests of our service provider. It shares no
 * code with the SP's library (samlify): XML is built by hand, signed with
 * xml-crypto and parsed with @xmldom/xmldom, so a bug in samlify cannot cancel
 * itself out. Beyond honest responses it forges broken ones on purpose:
 * tampered after signing, signed with a key the metadata does not list,
 * signature-wrapping (XSW) placements, DOCTYPE / entity expansion, and
 * encrypted assertions.
 *
 * Keys: every IdP gets two fresh RSA-2048 key pairs with self-signed X.509
 * certificates, made at runtime by the `openssl` binary in a temporary
 * directory that is deleted at once, so no key material is committed.
 */

// ---------------------------------------------------------------------------
// Constants
// ---------------------------------------------------------------------------

export const SAML_NS = {
  protocol: "urn:oasis:names:tc:SAML:2.0:protocol",
  assertion: "urn:oasis:names:tc:SAML:2.0:assertion",
  metadata: "urn:oasis:names:tc:SAML:2.0:metadata",
  dsig: "http://www.w3.org/2000/09/xmldsig#",
  xenc: "http://www.w3.org/2001/04/xmlenc#",
} as const;

export const NAMEID_FORMAT_EMAIL = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
export const BINDING_REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";
export const BINDING_POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";
const STATUS_SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success";
const CM_BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer";
const AC_PASSWORD_PROTECTED = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport";
const ATTRNAME_BASIC = "urn:oasis:names:tc:SAML:2.0:attrname-format:basic";

const RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
const SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256";
const EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#";
const ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
const KEY_TRANSPORT = {
  "rsa-oaep-mgf1p": "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p",
  "rsa-1_5": "http://www.w3.org/2001/04/xmlenc#rsa-1_5",
} as const;

const DATA_ENCRYPTION = {
  "aes256-gcm": "http://www.w3.org/2009/xmlenc11#aes256-gcm",
  "aes128-gcm": "http://www.w3.org/2009/xmlenc11#aes128-gcm",
  "aes256-cbc": "http://www.w3.org/2001/04/xmlenc#aes256-cbc",
  "aes128-cbc": "http://www.w3.org/2001/04/xmlenc#aes128-cbc",
  "tripledes-cbc": "http://www.w3.org/2001/04/xmlenc#tripledes-cbc",
} as const;

/** Namespace of the foreign wrapper element `response-wrapped` uses. */
const ATTACKER_NS = "urn:x-test:attacker";

/** The name the forged elements of `wrap` carry unless told otherwise. */
export const ATTACKER_NAME_ID = "attacker@evil.example";

/**
 * An encrypted response's ciphertext with one base64 character changed in its
 * middle (the last CipherValue is the EncryptedData's): for `beforeSigning.response`.
 */
export function alterCiphertext(xml: string): string {
  return xml.replace(
    /(<(?:\w+:)?CipherValue>)([^<]+)(<\/(?:\w+:)?CipherValue>)(?![\s\S]*CipherValue>)/,
    (_m, open, text, close) => {
      const at = Math.floor(text.length / 2);
      return `${open}${text.slice(0, at)}${text[at] === "A" ? "B" : "A"}${text.slice(at + 1)}${close}`;
    },
  );
}

/** An encrypted response whose content algorithm is AES-192-GCM, which no IdP profile asks an SP to take. */
export const unknownContentAlgorithm = (xml: string): string =>
  xml.replace(`${DATA_ENCRYPTION["aes256-gcm"]}"`, 'http://www.w3.org/2009/xmlenc11#aes192-gcm"');

// ---------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------

/** An RSA key pair with a self-signed certificate, both PEM. */
export interface TestKeyPair {
  certificatePem: string;
  /** PKCS#8 (`-----BEGIN PRIVATE KEY-----`). */
  privateKeyPem: string;
}

export interface SamlIdpOptions {
  /** The IdP's entityID; also the default Issuer of responses. */
  entityId: string;
  /** Where the SP sends AuthnRequests (HTTP-Redirect binding), published in the metadata. */
  ssoUrl: string;
  /** Published as `IDPSSODescriptor@WantAuthnRequestsSigned` (default false). */
  wantAuthnRequestsSigned?: boolean;
  /** Reuse key pairs instead of generating fresh ones (e.g. another IdP's `otherKey`, for rotation tests). */
  keys?: { signing?: TestKeyPair; other?: TestKeyPair };
  /** More certificates (PEM) to publish as additional `KeyDescriptor use="signing"` (rotation tests). */
  extraSigningCertificates?: string[];
}

/** What {@link SamlIdp.parseAuthnRequest} reads from an HTTP-Redirect binding URL. */
export interface ParsedAuthnRequest {
  /** `AuthnRequest@ID`: answer it in `InResponseTo`. */
  id: string;
  /** `AuthnRequest@AssertionConsumerServiceURL`, if the SP sent one. */
  acsUrl: string | undefined;
  /** Text of `saml:Issuer` (the SP's entityID), if present. */
  issuer: string | undefined;
  /** The `RelayState` query parameter, decoded; undefined when absent. */
  relayState: string | undefined;
  /** `AuthnRequest@Destination`, if present. */
  destination: string | undefined;
  /** `AuthnRequest@ProtocolBinding`, if present. */
  protocolBinding: string | undefined;
  /** `AuthnRequest@IssueInstant`, if present. */
  issueInstant: string | undefined;
  /** `NameIDPolicy@Format`, if present. */
  nameIdPolicyFormat: string | undefined;
  forceAuthn: boolean;
  isPassive: boolean;
  /** The inflated AuthnRequest XML. */
  xml: string;
  /** The request URL without its query string. */
  endpoint: string;
  /** `SigAlg` query parameter (redirect-binding signature), if the request is signed. */
  sigAlg: string | undefined;
  /** `Signature` query parameter (base64), if the request is signed. */
  signature: string | undefined;
  /** The exact octets a redirect-binding signature covers (`SAMLRequest=…&RelayState=…&SigAlg=…`, as sent). */
  signedOctets: string | undefined;
}

/** Which elements carry an enveloped signature. */
type SignMode = "assertion" | "response" | "both" | "none";

/**
 * Signature-wrapping (XSW) placements. Each leaves the original element with
 * a signature that still verifies (the signature covers the original ID, and
 * the ID appears once), while the element an unwary SP reads is the forged
 * one. Forged elements get fresh IDs and carry `ATTACKER_NAME_ID` (or the
 * wrap's `nameId`), no signature of their own.
 *
 * Assertion variants need the assertion signed (`sign: "assertion"`; with
 * `"both"` they also break the response signature). Response variants need
 * the response signed (`"response"` or `"both"`).
 *
 * - `forged-assertion-before`: forged Assertion inserted before the signed one,
 *   as a sibling in the Response (the first Assertion is the forged one).
 * - `forged-assertion-after`: forged Assertion appended after the signed one
 *   (the last Assertion is the forged one).
 * - `signed-assertion-in-extensions`: the signed Assertion moves into a
 *   `samlp:Extensions` of the Response; the forged one takes its place as the
 *   Response's only Assertion child.
 * - `signed-assertion-in-advice`: the forged Assertion takes the place of the
 *   signed one, which moves into the forged one's `saml:Advice`.
 * - `signature-moved-to-forged`: the signed Assertion's `ds:Signature` moves
 *   into the forged Assertion (after its Issuer) and the original Assertion
 *   (now without signature) goes into that signature's `ds:Object`; the
 *   forged Assertion "has a valid signature child".
 * - `response-wrapped`: a forged Response (fresh ID, forged Assertion) holds
 *   the whole signed original Response inside its `samlp:Extensions` (in a
 *   foreign-namespace `evil:Wrapper`, so the document stays schema-valid).
 * - `response-signature-moved`: a forged Response carries the original
 *   Response's `ds:Signature`, whose `ds:Object` holds the original Response
 *   (without that signature).
 */
export type WrapVariant =
  | "forged-assertion-before"
  | "forged-assertion-after"
  | "signed-assertion-in-extensions"
  | "signed-assertion-in-advice"
  | "signature-moved-to-forged"
  | "response-wrapped"
  | "response-signature-moved";

export const WRAP_VARIANTS: readonly WrapVariant[] = [
  "forged-assertion-before",
  "forged-assertion-after",
  "signed-assertion-in-extensions",
  "signed-assertion-in-advice",
  "signature-moved-to-forged",
  "response-wrapped",
  "response-signature-moved",
];

/**
 * Edits applied after signing (see `tamper` in {@link SamlResponseOptions}).
 * Each acts on the first matching element in document order (`signatureValue`:
 * on every one) and throws when there is none.
 * - `nameId`: NameID text becomes `ATTACKER_NAME_ID` (breaks the signature).
 * - `audience`: Audience text becomes `https://attacker.example/sp` (breaks it).
 * - `notOnOrAfter`: Conditions@NotOnOrAfter moves a year later (breaks it).
 * - `signatureValue`: one bit of every SignatureValue is flipped (breaks them all).
 * - `{ commentInNameId: prefix }`: the NameID text, which must start with
 *   `prefix` and be longer, is split by an empty comment right after it
 *   (`victim@corp.example<!---->.evil.test`). Canonicalization drops comments,
 *   so the signature STILL VERIFIES; an SP that reads only the first text node
 *   sees `prefix` (CVE-2017-11428 style).
 */
type TamperPreset = "nameId" | "audience" | "notOnOrAfter" | "signatureValue" | { commentInNameId: string };

export interface SamlResponseOptions {
  /** Fills `inResponseTo`, `recipient`/`destination` (its ACS URL) and `audience` (its Issuer); explicit options win. */
  respondTo?: ParsedAuthnRequest;
  /** NameID value (Format emailAddress unless `nameIdFormat`). Required. */
  nameId: string;
  nameIdFormat?: string;
  /**
   * Attribute name → value(s), one `saml:Attribute` (NameFormat basic) each.
   * Default `{ email: nameId, name: "Test User", displayName: "Test User" }`;
   * `{}` leaves out the AttributeStatement.
   */
  attributes?: Record<string, string | string[]>;
  /** `Audience` of the AudienceRestriction (the SP's entityID). Required unless `respondTo` gives it. */
  audience?: string;
  /** `SubjectConfirmationData@Recipient` (the ACS URL). Required unless `respondTo` gives it. */
  recipient?: string;
  /** `Response@Destination`; default `recipient`. */
  destination?: string;
  /** `Response@InResponseTo` and `SubjectConfirmationData@InResponseTo`; omit (and no `respondTo`) for an unsolicited response. */
  inResponseTo?: string;
  /** IssueInstant / AuthnInstant; default `new Date()`. */
  now?: Date;
  /** `Conditions@NotBefore`; default `now`. */
  notBefore?: Date;
  /** `Conditions@NotOnOrAfter` and `SubjectConfirmationData@NotOnOrAfter`; default `now` + 5 minutes. */
  notOnOrAfter?: Date;
  /** Issuer of Response and Assertion; default the IdP's entityId. */
  issuer?: string;
  /** `AuthnStatement@SessionIndex`; default random. */
  sessionIndex?: string;
  /** Top-level StatusCode; default Success. Any other value sends no assertion. */
  statusCode?: string;
  /** Default `"assertion"`. */
  sign?: SignMode;
  /** `"idp"` (default): the key in the metadata. `"other"`: `otherKey`, whose certificate goes into KeyInfo. */
  signWith?: "idp" | "other";
  /**
   * Edit XML before it is signed (so the signature covers the edit): make a
   * correctly signed but otherwise bad message. Strings in, strings out; each
   * runs even when that element is not signed.
   */
  beforeSigning?: { assertion?: (xml: string) => string; response?: (xml: string) => string };
  /**
   * Edit the XML after signing: a preset or any `(xml) => xml`. Without
   * `encrypt` it runs last (after `wrap`) on the whole Response. With
   * `encrypt` it runs on the plaintext Response before the assertion is
   * encrypted, and a response signature is computed afterwards over the
   * ciphertext (so only the assertion's own signature can catch it).
   */
  tamper?: TamperPreset | ((xml: string) => string);
  /** Signature-wrapping placement; see {@link WrapVariant}. Not with `encrypt`. */
  wrap?: WrapVariant | { variant: WrapVariant; nameId?: string; attributes?: Record<string, string | string[]> };
  /**
   * Prefix a DOCTYPE (the document is otherwise unchanged unless noted):
   * - `"entity"`: internal subset declaring one entity (`<!ENTITY name "…">`), never referenced.
   * - `"billion-laughs"`: lol1…lol9 nested entities, and `&lol9;` referenced from a
   *   `samlp:Extensions` inserted before the first `samlp:Status` (breaks a response signature).
   * - any other string: used verbatim as the DOCTYPE declaration.
   */
  doctype?: "entity" | "billion-laughs" | (string & {});
  /**
   * Replace the Assertion with an EncryptedAssertion for the SP's encryption
   * certificate: a fresh AES key encrypts the (signed, if asked) assertion,
   * and RSA-OAEP (MGF1/SHA-1, `rsa-oaep-mgf1p`) wraps that key; the
   * certificate is echoed in the EncryptedKey's KeyInfo. Default algorithm
   * aes256-gcm; `keyTransport` "rsa-1_5" (and algorithm "tripledes-cbc")
   * make what an SP must refuse. Done by @authenio/xml-encryption.
   */
  encrypt?: {
    certificatePem: string;
    algorithm?: keyof typeof DATA_ENCRYPTION;
    keyTransport?: keyof typeof KEY_TRANSPORT;
  };
}

export interface SamlIdp {
  entityId: string;
  ssoUrl: string;
  /** `md:EntityDescriptor` with one IDPSSODescriptor (signing KeyDescriptor, emailAddress NameIDFormat, Redirect SSO). */
  metadataXml: string;
  /** The signing certificate published in the metadata. */
  certificatePem: string;
  privateKeyPem: string;
  /** A second key pair, not in the metadata (`signWith: "other"`). */
  otherKey: TestKeyPair;
  /** Read an HTTP-Redirect binding AuthnRequest URL (what the SP redirects the browser to). */
  parseAuthnRequest(redirectUrl: string | URL): ParsedAuthnRequest;
  /** The SAMLResponse form value for the HTTP-POST binding: base64 of the response XML. */
  response(options: SamlResponseOptions): Promise<string>;
  /** The same response as XML, not encoded (for debugging and assertions on structure). */
  responseXml(options: SamlResponseOptions): Promise<string>;
}

// ---------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------

/**
 * A fresh RSA-2048 key and a self-signed SHA-256 certificate (10 years),
 * made by `openssl req -x509` in a temporary directory removed right after.
 * Also handy for the SP's own signing / encryption keys.
 */
export function createTestCertificate(commonName = "SAML test"): TestKeyPair {
  const dir = mkdtempSync(join(tmpdir(), "saml-idp-"));
  try {
    const keyPath = join(dir, "key.pem");
    const certPath = join(dir, "cert.pem");
    const cn = commonName.replace(/[^A-Za-z0-9 .:_-]/g, "_");
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-sha256",
        "-nodes",
        "-days",
        "3650",
        "-subj",
        `/CN=${cn}`,
        "-keyout",
        keyPath,
        "-out",
        certPath,
      ],
      { stdio: "pipe" },
    );
    return { certificatePem: readFileSync(certPath, "utf8"), privateKeyPem: readFileSync(keyPath, "utf8") };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The base64 body of a PEM certificate, as it goes into `ds:X509Certificate`. */
export function certificateBody(pem: string): string {
  return pem
    .replace(/-----(BEGIN|END) CERTIFICATE-----/g, "")
    .replace(/\s+/g, "")
    .trim();
}

// ---------------------------------------------------------------------------
// AuthnRequest (HTTP-Redirect binding)
// ---------------------------------------------------------------------------

/** Raw (still percent-encoded) query parameters, in order. */
function rawQuery(url: URL): Map<string, string> {
  const params = new Map<string, string>();
  const query = url.search.startsWith("?") ? url.search.slice(1) : url.search;
  for (const part of query.split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const name = eq === -1 ? part : part.slice(0, eq);
    if (!params.has(name)) params.set(name, eq === -1 ? "" : part.slice(eq + 1));
  }
  return params;
}

/** Percent-decoding for base64 values: a literal `+` stays `+` (it cannot mean a space in base64). */
const decodeBase64Param = (raw: string) => decodeURIComponent(raw);
/** Form decoding for text values: `+` is a space. */
const decodeTextParam = (raw: string) => decodeURIComponent(raw.replace(/\+/g, "%20"));

/**
 * Parse an HTTP-Redirect binding URL: `SAMLRequest` is base64 of the
 * DEFLATE-raw AuthnRequest XML. Throws when SAMLRequest is missing or the XML
 * is not a `samlp:AuthnRequest`.
 */
export function parseAuthnRequest(redirectUrl: string | URL): ParsedAuthnRequest {
  const url = new URL(redirectUrl.toString());
  const params = rawQuery(url);
  const rawRequest = params.get("SAMLRequest");
  if (rawRequest === undefined) throw new Error(`no SAMLRequest in ${url.toString()}`);
  const xml = inflateRawSync(Buffer.from(decodeBase64Param(rawRequest), "base64")).toString("utf8");
  const doc = parseXml(xml);
  const root = doc.documentElement;
  if (root?.localName !== "AuthnRequest" || root.namespaceURI !== SAML_NS.protocol) {
    throw new Error(`SAMLRequest is not a samlp:AuthnRequest: ${xml.slice(0, 200)}`);
  }
  const attr = (el: Element, name: string) =>
    el.hasAttribute(name) ? (el.getAttribute(name) ?? undefined) : undefined;
  const issuer = childElements(root).find((el) => el.localName === "Issuer" && el.namespaceURI === SAML_NS.assertion);
  const policy = childElements(root).find((el) => el.localName === "NameIDPolicy");
  const id = attr(root, "ID");
  if (!id) throw new Error("AuthnRequest has no ID");
  const rawRelayState = params.get("RelayState");
  const rawSigAlg = params.get("SigAlg");
  const rawSignature = params.get("Signature");
  const signedOctets =
    rawSigAlg === undefined
      ? undefined
      : [
          `SAMLRequest=${rawRequest}`,
          ...(rawRelayState === undefined ? [] : [`RelayState=${rawRelayState}`]),
          `SigAlg=${rawSigAlg}`,
        ].join("&");
  return {
    id,
    acsUrl: attr(root, "AssertionConsumerServiceURL"),
    issuer: issuer?.textContent?.trim() ?? undefined,
    relayState: rawRelayState === undefined ? undefined : decodeTextParam(rawRelayState),
    destination: attr(root, "Destination"),
    protocolBinding: attr(root, "ProtocolBinding"),
    issueInstant: attr(root, "IssueInstant"),
    nameIdPolicyFormat: policy ? attr(policy, "Format") : undefined,
    forceAuthn: attr(root, "ForceAuthn") === "true",
    isPassive: attr(root, "IsPassive") === "true",
    xml,
    endpoint: `${url.origin}${url.pathname}`,
    sigAlg: rawSigAlg === undefined ? undefined : decodeTextParam(rawSigAlg),
    signature: rawSignature === undefined ? undefined : decodeBase64Param(rawSignature),
    signedOctets,
  };
}

const REDIRECT_SIG_HASH: Record<string, string> = {
  "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256": "sha256",
  "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512": "sha512",
  "http://www.w3.org/2000/09/xmldsig#rsa-sha1": "sha1",
};

/**
 * Check a redirect-binding signature (`SigAlg` + `Signature` over the raw
 * query octets) against a PEM certificate. False when the request is unsigned,
 * the algorithm is not RSA-SHA1/256/512, or the signature does not verify.
 */
export function verifyRedirectSignature(request: ParsedAuthnRequest, certificatePem: string): boolean {
  if (!request.sigAlg || !request.signature || !request.signedOctets) return false;
  const hash = REDIRECT_SIG_HASH[request.sigAlg];
  if (!hash) return false;
  const key = new X509Certificate(certificatePem).publicKey;
  return cryptoVerify(hash, Buffer.from(request.signedOctets, "utf8"), key, Buffer.from(request.signature, "base64"));
}

// ---------------------------------------------------------------------------
// XML helpers
// ---------------------------------------------------------------------------

function escapeXml(value: string): string {
  return value
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

function parseXml(xml: string): Document {
  const errors: string[] = [];
  const doc = new DOMParser({
    errorHandler: {
      warning: () => {},
      error: (message: string) => errors.push(message),
      fatalError: (message: string) => errors.push(message),
    },
  }).parseFromString(xml, "text/xml");
  if (errors.length > 0 || !doc.documentElement) throw new Error(`malformed XML: ${errors.join("; ")}`);
  return doc;
}

function serialize(node: Node): string {
  return new XMLSerializer().serializeToString(node);
}

function childElements(el: Element): Element[] {
  const out: Element[] = [];
  for (let n = el.firstChild; n; n = n.nextSibling) if (n.nodeType === 1) out.push(n as Element);
  return out;
}

function firstChild(el: Element, ns: string, localName: string): Element | undefined {
  return childElements(el).find((c) => c.namespaceURI === ns && c.localName === localName);
}

function firstDescendant(doc: Document | Element, ns: string, localName: string): Element | undefined {
  return doc.getElementsByTagNameNS(ns, localName)[0] ?? undefined;
}

function requireElement<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`saml-idp: no ${what} in the document`);
  return value;
}

const isoTime = (d: Date) => d.toISOString();
const newId = () => `_${randomBytes(20).toString("hex")}`;

// ---------------------------------------------------------------------------
// Builders
// ---------------------------------------------------------------------------

interface AssertionFields {
  id: string;
  issuer: string;
  issueInstant: Date;
  nameId: string;
  nameIdFormat: string;
  recipient: string;
  inResponseTo: string | undefined;
  notBefore: Date;
  notOnOrAfter: Date;
  audience: string;
  sessionIndex: string;
  attributes: Record<string, string | string[]>;
}

/** A standalone Assertion: it declares every namespace it uses, so it can be signed or encrypted on its own. */
function buildAssertion(f: AssertionFields): string {
  const inResponseTo = f.inResponseTo === undefined ? "" : ` InResponseTo="${escapeXml(f.inResponseTo)}"`;
  const attributes = Object.entries(f.attributes)
    .map(([name, value]) => {
      const values = (Array.isArray(value) ? value : [value])
        .map((v) => `<saml:AttributeValue xsi:type="xs:string">${escapeXml(v)}</saml:AttributeValue>`)
        .join("");
      return `<saml:Attribute Name="${escapeXml(name)}" NameFormat="${ATTRNAME_BASIC}">${values}</saml:Attribute>`;
    })
    .join("");
  return (
    `<saml:Assertion xmlns:saml="${SAML_NS.assertion}" xmlns:xs="http://www.w3.org/2001/XMLSchema"` +
    ` xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ID="${f.id}" Version="2.0" IssueInstant="${isoTime(f.issueInstant)}">` +
    `<saml:Issuer>${escapeXml(f.issuer)}</saml:Issuer>` +
    "<saml:Subject>" +
    `<saml:NameID Format="${escapeXml(f.nameIdFormat)}">${escapeXml(f.nameId)}</saml:NameID>` +
    `<saml:SubjectConfirmation Method="${CM_BEARER}">` +
    `<saml:SubjectConfirmationData NotOnOrAfter="${isoTime(f.notOnOrAfter)}" Recipient="${escapeXml(f.recipient)}"${inResponseTo}/>` +
    "</saml:SubjectConfirmation>" +
    "</saml:Subject>" +
    `<saml:Conditions NotBefore="${isoTime(f.notBefore)}" NotOnOrAfter="${isoTime(f.notOnOrAfter)}">` +
    `<saml:AudienceRestriction><saml:Audience>${escapeXml(f.audience)}</saml:Audience></saml:AudienceRestriction>` +
    "</saml:Conditions>" +
    `<saml:AuthnStatement AuthnInstant="${isoTime(f.issueInstant)}" SessionIndex="${escapeXml(f.sessionIndex)}">` +
    `<saml:AuthnContext><saml:AuthnContextClassRef>${AC_PASSWORD_PROTECTED}</saml:AuthnContextClassRef></saml:AuthnContext>` +
    "</saml:AuthnStatement>" +
    (attributes === "" ? "" : `<saml:AttributeStatement>${attributes}</saml:AttributeStatement>`) +
    "</saml:Assertion>"
  );
}

interface ResponseFields {
  id: string;
  issuer: string;
  issueInstant: Date;
  destination: string;
  inResponseTo: string | undefined;
  statusCode: string;
}

function buildResponse(f: ResponseFields, assertionXml: string): string {
  const inResponseTo = f.inResponseTo === undefined ? "" : ` InResponseTo="${escapeXml(f.inResponseTo)}"`;
  return (
    `<samlp:Response xmlns:samlp="${SAML_NS.protocol}" xmlns:saml="${SAML_NS.assertion}" ID="${f.id}" Version="2.0"` +
    ` IssueInstant="${isoTime(f.issueInstant)}" Destination="${escapeXml(f.destination)}"${inResponseTo}>` +
    `<saml:Issuer>${escapeXml(f.issuer)}</saml:Issuer>` +
    `<samlp:Status><samlp:StatusCode Value="${escapeXml(f.statusCode)}"/></samlp:Status>` +
    assertionXml +
    "</samlp:Response>"
  );
}

function buildMetadata(options: SamlIdpOptions, certificates: string[]): string {
  const keyDescriptors = certificates
    .map(
      (pem) =>
        `<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${certificateBody(pem)}` +
        "</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>",
    )
    .join("");
  return (
    `<md:EntityDescriptor xmlns:md="${SAML_NS.metadata}" xmlns:ds="${SAML_NS.dsig}" entityID="${escapeXml(options.entityId)}">` +
    `<md:IDPSSODescriptor WantAuthnRequestsSigned="${options.wantAuthnRequestsSigned ? "true" : "false"}"` +
    ` protocolSupportEnumeration="${SAML_NS.protocol}">` +
    keyDescriptors +
    `<md:NameIDFormat>${NAMEID_FORMAT_EMAIL}</md:NameIDFormat>` +
    `<md:SingleSignOnService Binding="${BINDING_REDIRECT}" Location="${escapeXml(options.ssoUrl)}"/>` +
    "</md:IDPSSODescriptor>" +
    "</md:EntityDescriptor>"
  );
}

// ---------------------------------------------------------------------------
// Signing and encryption
// ---------------------------------------------------------------------------

/**
 * Enveloped signature over the document element: RSA-SHA256, exclusive c14n
 * (InclusiveNamespaces PrefixList="xs" on the reference, as Shibboleth does),
 * SHA-256 digest, Reference URI `#<ID>`, KeyInfo with the signer's
 * certificate, placed right after the element's Issuer (schema order), or
 * first when there is no Issuer.
 */
function signRoot(xml: string, key: TestKeyPair): string {
  const root = requireElement(parseXml(xml).documentElement ?? undefined, "document element");
  const hasIssuer = childElements(root)[0]?.localName === "Issuer";
  const sig = new SignedXml({
    privateKey: key.privateKeyPem,
    publicCert: key.certificatePem,
    signatureAlgorithm: RSA_SHA256,
    canonicalizationAlgorithm: EXC_C14N,
  });
  // PrefixList="xs": `xsi:type="xs:string"` uses the prefix only in an attribute value, which
  // exclusive c14n does not count as a use; listing it keeps the signed octets self-contained.
  sig.addReference({
    xpath: "/*",
    transforms: [ENVELOPED, EXC_C14N],
    digestAlgorithm: SHA256,
    inclusiveNamespacesPrefixList: ["xs"],
  });
  sig.computeSignature(xml, {
    prefix: "ds",
    location: hasIssuer
      ? { reference: "/*/*[local-name(.)='Issuer']", action: "after" }
      : { reference: "/*", action: "prepend" },
  });
  return sig.getSignedXml();
}

interface XmlEncryptOptions {
  rsa_pub: string;
  pem: string;
  encryptionAlgorithm: string;
  keyEncryptionAlgorithm: string;
  disallowEncryptionWithInsecureAlgorithm?: boolean;
  warnInsecureAlgorithm?: boolean;
}
interface XmlEncryption {
  encrypt(content: string, options: XmlEncryptOptions, callback: (err: Error | null, result?: string) => void): void;
}

/** @authenio/xml-encryption (CommonJS, untyped; installed as a dependency of samlify). */
const xmlenc = createRequire(import.meta.url)("@authenio/xml-encryption") as XmlEncryption;

function encryptXml(content: string, encrypt: NonNullable<SamlResponseOptions["encrypt"]>): Promise<string> {
  const algorithm = encrypt.algorithm ?? "aes256-gcm";
  const keyTransport = encrypt.keyTransport ?? "rsa-oaep-mgf1p";
  const certificatePem = encrypt.certificatePem;
  const publicKey = new X509Certificate(certificatePem).publicKey.export({ type: "spki", format: "pem" }).toString();
  return new Promise((resolve, reject) => {
    xmlenc.encrypt(
      content,
      {
        rsa_pub: publicKey,
        pem: certificatePem,
        encryptionAlgorithm: DATA_ENCRYPTION[algorithm],
        keyEncryptionAlgorithm: KEY_TRANSPORT[keyTransport],
        // Insecure only when asked for by name.
        disallowEncryptionWithInsecureAlgorithm: keyTransport !== "rsa-1_5" && algorithm !== "tripledes-cbc",
        warnInsecureAlgorithm: false,
      },
      (err, result) => (err || !result ? reject(err ?? new Error("xml-encryption returned nothing")) : resolve(result)),
    );
  });
}

/** Replace the Response's Assertion child with a `saml:EncryptedAssertion`. */
async function encryptAssertionIn(xml: string, encrypt: NonNullable<SamlResponseOptions["encrypt"]>): Promise<string> {
  const doc = parseXml(xml);
  const root = requireElement(doc.documentElement ?? undefined, "document element");
  const assertion = requireElement(firstChild(root, SAML_NS.assertion, "Assertion"), "Assertion child of Response");
  const encryptedData = await encryptXml(serialize(assertion), encrypt);
  const wrapper = parseXml(
    `<saml:EncryptedAssertion xmlns:saml="${SAML_NS.assertion}">${encryptedData.trim()}</saml:EncryptedAssertion>`,
  );
  root.replaceChild(
    doc.importNode(requireElement(wrapper.documentElement ?? undefined, "EncryptedAssertion"), true),
    assertion,
  );
  return serialize(doc);
}

// ---------------------------------------------------------------------------
// Tampering, wrapping, DOCTYPE
// ---------------------------------------------------------------------------

function applyTamper(xml: string, tamper: NonNullable<SamlResponseOptions["tamper"]>): string {
  if (typeof tamper === "function") return tamper(xml);
  const doc = parseXml(xml);
  const setText = (el: Element, text: string) => {
    while (el.firstChild) el.removeChild(el.firstChild);
    el.appendChild(doc.createTextNode(text));
  };
  if (tamper === "nameId") {
    setText(requireElement(firstDescendant(doc, SAML_NS.assertion, "NameID"), "NameID"), ATTACKER_NAME_ID);
  } else if (tamper === "audience") {
    setText(
      requireElement(firstDescendant(doc, SAML_NS.assertion, "Audience"), "Audience"),
      "https://attacker.example/sp",
    );
  } else if (tamper === "notOnOrAfter") {
    const conditions = requireElement(firstDescendant(doc, SAML_NS.assertion, "Conditions"), "Conditions");
    const later = new Date(Date.parse(conditions.getAttribute("NotOnOrAfter") ?? "") + 365 * 86_400_000);
    conditions.setAttribute("NotOnOrAfter", isoTime(later));
  } else if (tamper === "signatureValue") {
    const values = Array.from(doc.getElementsByTagNameNS(SAML_NS.dsig, "SignatureValue"));
    if (values.length === 0) throw new Error("saml-idp: no SignatureValue in the document");
    for (const value of values) {
      const bytes = Buffer.from(value.textContent ?? "", "base64");
      bytes[0] = (bytes[0] ?? 0) ^ 0x01;
      setText(value, bytes.toString("base64"));
    }
  } else {
    const nameId = requireElement(firstDescendant(doc, SAML_NS.assertion, "NameID"), "NameID");
    const text = nameId.textContent ?? "";
    const prefix = tamper.commentInNameId;
    if (!text.startsWith(prefix) || text.length === prefix.length) {
      throw new Error(`saml-idp: NameID ${JSON.stringify(text)} does not extend ${JSON.stringify(prefix)}`);
    }
    while (nameId.firstChild) nameId.removeChild(nameId.firstChild);
    nameId.appendChild(doc.createTextNode(prefix));
    nameId.appendChild(doc.createComment(""));
    nameId.appendChild(doc.createTextNode(text.slice(prefix.length)));
  }
  return serialize(doc);
}

/** What the forged half of a wrap needs to build its elements. */
interface WrapContext {
  variant: WrapVariant;
  forgedAssertion: () => string;
  forgedResponse: (assertionXml: string) => string;
  signAssertion: boolean;
  signResponse: boolean;
}

function applyWrap(xml: string, w: WrapContext): string {
  const assertionVariant = !w.variant.startsWith("response-");
  if (assertionVariant && !w.signAssertion) throw new Error(`saml-idp: wrap ${w.variant} needs a signed assertion`);
  if (!assertionVariant && !w.signResponse) throw new Error(`saml-idp: wrap ${w.variant} needs a signed response`);

  const doc = parseXml(xml);
  const root = requireElement(doc.documentElement ?? undefined, "Response");

  if (!assertionVariant) {
    const forgedDoc = parseXml(w.forgedResponse(w.forgedAssertion()));
    const forgedRoot = requireElement(forgedDoc.documentElement ?? undefined, "forged Response");
    const forgedIssuer = requireElement(firstChild(forgedRoot, SAML_NS.assertion, "Issuer"), "forged Issuer");
    if (w.variant === "response-wrapped") {
      // Extensions admits only other namespaces' elements (laxly validated), so a foreign wrapper
      // keeps the document schema-valid while the original Response inside still validates.
      const extensions = forgedDoc.createElementNS(SAML_NS.protocol, "samlp:Extensions");
      const wrapper = forgedDoc.createElementNS(ATTACKER_NS, "evil:Wrapper");
      wrapper.appendChild(forgedDoc.importNode(root, true));
      extensions.appendChild(wrapper);
      forgedRoot.insertBefore(extensions, forgedIssuer.nextSibling);
    } else {
      const signature = requireElement(firstChild(root, SAML_NS.dsig, "Signature"), "Response Signature");
      root.removeChild(signature);
      const movedSignature = forgedDoc.importNode(signature, true) as Element;
      const object = forgedDoc.createElementNS(SAML_NS.dsig, "ds:Object");
      object.appendChild(forgedDoc.importNode(root, true));
      movedSignature.appendChild(object);
      forgedRoot.insertBefore(movedSignature, forgedIssuer.nextSibling);
    }
    return serialize(forgedDoc);
  }

  const signed = requireElement(firstChild(root, SAML_NS.assertion, "Assertion"), "signed Assertion");
  const forgedDoc = parseXml(w.forgedAssertion());
  const forged = doc.importNode(
    requireElement(forgedDoc.documentElement ?? undefined, "forged Assertion"),
    true,
  ) as Element;
  const forgedIssuer = requireElement(firstChild(forged, SAML_NS.assertion, "Issuer"), "forged Issuer");

  switch (w.variant) {
    case "forged-assertion-before":
      root.insertBefore(forged, signed);
      break;
    case "forged-assertion-after":
      root.insertBefore(forged, signed.nextSibling);
      break;
    case "signed-assertion-in-extensions": {
      const status = requireElement(firstChild(root, SAML_NS.protocol, "Status"), "Status");
      const extensions = doc.createElementNS(SAML_NS.protocol, "samlp:Extensions");
      root.replaceChild(forged, signed);
      extensions.appendChild(signed);
      root.insertBefore(extensions, status);
      break;
    }
    case "signed-assertion-in-advice": {
      const conditions = requireElement(firstChild(forged, SAML_NS.assertion, "Conditions"), "forged Conditions");
      const advice = doc.createElementNS(SAML_NS.assertion, "saml:Advice");
      root.replaceChild(forged, signed);
      advice.appendChild(signed);
      forged.insertBefore(advice, conditions.nextSibling);
      break;
    }
    case "signature-moved-to-forged": {
      const signature = requireElement(firstChild(signed, SAML_NS.dsig, "Signature"), "Assertion Signature");
      root.replaceChild(forged, signed);
      signed.removeChild(signature);
      const object = doc.createElementNS(SAML_NS.dsig, "ds:Object");
      object.appendChild(signed);
      signature.appendChild(object);
      forged.insertBefore(signature, forgedIssuer.nextSibling);
      break;
    }
    default:
      throw new Error(`saml-idp: unknown wrap ${w.variant}`);
  }
  return serialize(doc);
}

function applyDoctype(xml: string, doctype: NonNullable<SamlResponseOptions["doctype"]>): string {
  if (doctype === "entity") {
    return `<!DOCTYPE samlp:Response [<!ENTITY idp-name "${ATTACKER_NAME_ID}">]>${xml}`;
  }
  if (doctype === "billion-laughs") {
    const entities = ['<!ENTITY lol "lol">'];
    for (let i = 1; i <= 9; i++) {
      const previous = i === 1 ? "&lol;" : `&lol${i - 1};`;
      entities.push(`<!ENTITY lol${i} "${previous.repeat(10)}">`);
    }
    const at = xml.indexOf("<samlp:Status");
    if (at === -1) throw new Error("saml-idp: no samlp:Status to put the entity reference before");
    const body = `${xml.slice(0, at)}<samlp:Extensions><lol xmlns="urn:x-test:lol">&lol9;</lol></samlp:Extensions>${xml.slice(at)}`;
    return `<!DOCTYPE samlp:Response [${entities.join("")}]>${body}`;
  }
  return `${doctype}${xml}`;
}

// ---------------------------------------------------------------------------
// The IdP
// ---------------------------------------------------------------------------

/**
 * Start a test IdP (synchronous: generates two key pairs with `openssl`,
 * unless `keys` supplies them). Nothing listens on the network: the SP's
 * redirect URL is handed to `parseAuthnRequest` and the result of
 * `response()` is POSTed to the ACS by the test.
 */
export function createSamlIdp(options: SamlIdpOptions): SamlIdp {
  const signing = options.keys?.signing ?? createTestCertificate("SAML test IdP");
  const other = options.keys?.other ?? createTestCertificate("SAML test IdP other key");
  const metadataXml = buildMetadata(options, [signing.certificatePem, ...(options.extraSigningCertificates ?? [])]);

  async function responseXml(o: SamlResponseOptions): Promise<string> {
    const now = o.now ?? new Date();
    const audience = o.audience ?? o.respondTo?.issuer;
    const recipient = o.recipient ?? o.respondTo?.acsUrl;
    if (audience === undefined) throw new Error("saml-idp: response needs audience (or respondTo with an Issuer)");
    if (recipient === undefined) throw new Error("saml-idp: response needs recipient (or respondTo with an ACS URL)");
    const inResponseTo = o.inResponseTo ?? o.respondTo?.id;
    const issuer = o.issuer ?? options.entityId;
    const sign = o.sign ?? "assertion";
    const signAssertion = sign === "assertion" || sign === "both";
    const signResponse = sign === "response" || sign === "both";
    const key = o.signWith === "other" ? other : signing;
    const statusCode = o.statusCode ?? STATUS_SUCCESS;
    const success = statusCode === STATUS_SUCCESS;
    if (o.encrypt && o.wrap) throw new Error("saml-idp: encrypt and wrap do not combine");
    if (o.encrypt && !success) throw new Error("saml-idp: nothing to encrypt in a failed response");

    const assertionFields = (nameId: string, attributes: Record<string, string | string[]> | undefined) => ({
      id: newId(),
      issuer,
      issueInstant: now,
      nameId,
      nameIdFormat: o.nameIdFormat ?? NAMEID_FORMAT_EMAIL,
      recipient,
      inResponseTo,
      notBefore: o.notBefore ?? now,
      notOnOrAfter: o.notOnOrAfter ?? new Date(now.getTime() + 5 * 60_000),
      audience,
      sessionIndex: o.sessionIndex ?? newId(),
      attributes: attributes ?? { email: nameId, name: "Test User", displayName: "Test User" },
    });
    const responseFields = () => ({
      id: newId(),
      issuer,
      issueInstant: now,
      destination: o.destination ?? recipient,
      inResponseTo,
      statusCode,
    });

    let assertion = "";
    if (success) {
      assertion = buildAssertion(assertionFields(o.nameId, o.attributes));
      if (o.beforeSigning?.assertion) assertion = o.beforeSigning.assertion(assertion);
      if (signAssertion) assertion = signRoot(assertion, key);
    }
    let xml = buildResponse(responseFields(), assertion);

    if (o.encrypt) {
      if (o.tamper) xml = applyTamper(xml, o.tamper);
      xml = await encryptAssertionIn(xml, o.encrypt);
      if (o.beforeSigning?.response) xml = o.beforeSigning.response(xml);
      if (signResponse) xml = signRoot(xml, key);
    } else {
      if (o.beforeSigning?.response) xml = o.beforeSigning.response(xml);
      if (signResponse) xml = signRoot(xml, key);
      if (o.wrap) {
        const wrap = typeof o.wrap === "string" ? { variant: o.wrap } : o.wrap;
        const forgedNameId = wrap.nameId ?? ATTACKER_NAME_ID;
        xml = applyWrap(xml, {
          variant: wrap.variant,
          forgedAssertion: () => buildAssertion(assertionFields(forgedNameId, wrap.attributes)),
          forgedResponse: (assertionXml) => buildResponse(responseFields(), assertionXml),
          signAssertion,
          signResponse,
        });
      }
      if (o.tamper) xml = applyTamper(xml, o.tamper);
    }
    if (o.doctype) xml = applyDoctype(xml, o.doctype);
    return xml;
  }

  return {
    entityId: options.entityId,
    ssoUrl: options.ssoUrl,
    metadataXml,
    certificatePem: signing.certificatePem,
    privateKeyPem: signing.privateKeyPem,
    otherKey: other,
    parseAuthnRequest,
    responseXml,
    response: async (o) => Buffer.from(await responseXml(o), "utf8").toString("base64"),
  };
}
