/**
 * The screen a decoded SAMLResponse passes before any XML library sees it.
 * A signature verifier digests every Reference before it checks the
 * signature value, so a Signature with 90 References costs seconds of CPU
 * even when signed by any key; the screen admits only what the SAML 2.0
 * profile of XML Signature produces (saml-core §5.4): one Reference to the
 * signed element, exclusive C14N, enveloped-signature, SHA-2.
 */

/** saml-core §5.4.2: a Response and its Assertion may each be signed. */
const MAX_SIGNATURES = 2;
/** Deeper than any IdP's response (Response > Assertion > … > AttributeValue content is ~10). */
const MAX_DEPTH = 32;

const EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#";
const ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
/** RSA with SHA-2 (RFC 6931 §2.3.2-2.3.3). SHA-1 is refused: collision-broken, and no current IdP needs it. */
const SIGNATURE_ALGORITHMS = new Set([
  "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
  "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
  "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
]);
const DIGEST_ALGORITHMS = new Set([
  "http://www.w3.org/2001/04/xmlenc#sha256",
  "http://www.w3.org/2001/04/xmldsig-more#sha384",
  "http://www.w3.org/2001/04/xmlenc#sha512",
]);

/**
 * The elements a profile signature is made of, each with the children it may
 * hold and whether it may repeat under its parent. Anything else (Object,
 * Manifest, XPath, RetrievalMethod, HMACOutputLength, …) is refused.
 */
const SIGNATURE_CHILDREN: Record<string, readonly string[]> = {
  Signature: ["SignedInfo", "SignatureValue", "KeyInfo"],
  SignedInfo: ["CanonicalizationMethod", "SignatureMethod", "Reference"],
  CanonicalizationMethod: ["InclusiveNamespaces"],
  SignatureMethod: [],
  Reference: ["Transforms", "DigestMethod", "DigestValue"],
  Transforms: ["Transform"],
  Transform: ["InclusiveNamespaces"],
  InclusiveNamespaces: [],
  DigestMethod: [],
  DigestValue: [],
  SignatureValue: [],
  KeyInfo: ["X509Data", "KeyName", "KeyValue"],
  KeyName: [],
  KeyValue: ["RSAKeyValue"],
  RSAKeyValue: ["Modulus", "Exponent"],
  Modulus: [],
  Exponent: [],
  X509Data: ["X509Certificate", "X509IssuerSerial", "X509SubjectName", "X509SKI"],
  X509IssuerSerial: ["X509IssuerName", "X509SerialNumber"],
  X509IssuerName: [],
  X509SerialNumber: [],
  X509SubjectName: [],
  X509SKI: [],
  X509Certificate: [],
};
/** May appear more than once under their parent. */
const REPEATABLE = new Set(["Transform", "X509Certificate", "X509Data"]);

interface Element {
  name: string;
  attributes: Map<string, string>;
  parent: Element | null;
  depth: number;
  /** Local names of the children seen so far. */
  children: string[];
  /** Inside a ds:Signature (the Signature itself included). */
  inSignature: boolean;
}

// One token at a time from the current position (sticky). No DTD reaches here, so these are all XML has.
const START_TAG = /<([A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?)((?:\s+[^\s=/<>]+\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>/y;
const END_TAG = /<\/([A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?)\s*>/y;
const SKIPPED = /<!--[\s\S]*?-->|<!\[CDATA\[[\s\S]*?\]\]>|<\?[\s\S]*?\?>|[^<]+/y;
const ATTRIBUTE = /([^\s=]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;

const localName = (qname: string) => qname.slice(qname.indexOf(":") + 1);

function attributesOf(text: string): Map<string, string> {
  const attributes = new Map<string, string>();
  for (const m of text.matchAll(ATTRIBUTE)) attributes.set(m[1] ?? "", m[2] ?? m[3] ?? "");
  return attributes;
}

/** Refuses a DTD or entity declaration (XXE, entity expansion); also used on decrypted assertions. */
export function declaresDtd(xml: string): boolean {
  return /<!DOCTYPE|<!ENTITY/i.test(xml);
}

/** Why an element opened inside a Signature is not one the profile produces, or null. */
function signatureElementProblem(element: Element): string | null {
  const parent = element.parent;
  const { name, attributes } = element;
  if (parent?.inSignature) {
    if (!SIGNATURE_CHILDREN[parent.name]?.includes(name)) {
      return `The signature holds a ${name} element in ${parent.name}, which the SAML profile never uses.`;
    }
    if (!REPEATABLE.has(name) && parent.children.includes(name)) {
      return `The signature holds more than one ${name} in ${parent.name}.`;
    }
  }
  const algorithm = attributes.get("Algorithm") ?? "";
  switch (name) {
    case "Signature": {
      const holder = parent;
      const holderIsProfile =
        (holder?.name === "Response" && holder.depth === 0) ||
        (holder?.name === "Assertion" && holder.parent?.name === "Response" && holder.parent.depth === 0);
      if (!holderIsProfile) return "A signature may only sign the Response or its Assertion.";
      if (holder.children.includes("Signature")) return "An element holds more than one signature.";
      return null;
    }
    case "Reference": {
      const id = signatureHolder(element)?.attributes.get("ID");
      if (!id || attributes.get("URI") !== `#${id}`) {
        return "The signature's Reference must point to the ID of the element that holds the signature.";
      }
      return null;
    }
    case "CanonicalizationMethod":
      return algorithm === EXC_C14N ? null : `The canonicalization ${algorithm} is not exclusive C14N.`;
    case "Transform":
      if (algorithm !== EXC_C14N && algorithm !== ENVELOPED) {
        return `The transform ${algorithm} is not enveloped-signature or exclusive C14N.`;
      }
      return null;
    case "SignatureMethod":
      return SIGNATURE_ALGORITHMS.has(algorithm) ? null : `The signature algorithm ${algorithm} is not accepted.`;
    case "DigestMethod":
      return DIGEST_ALGORITHMS.has(algorithm) ? null : `The digest algorithm ${algorithm} is not accepted.`;
    default:
      return null;
  }
}

function signatureHolder(element: Element): Element | null {
  let at: Element | null = element;
  while (at && at.name !== "Signature") at = at.parent;
  return at?.parent ?? null;
}

const ONE_ASSERTION = "The response must hold exactly one assertion.";

/**
 * Screens a decoded response: no DTD or entity declarations, well-formed
 * tags, exactly one Response holding exactly one Assertion or
 * EncryptedAssertion (every signature-wrapping placement adds a second one),
 * and signatures only of the profile's shape. Resolves the reason to refuse,
 * or null. Linear in the input; elements are matched by local name, so a
 * namespace trick cannot hide one.
 */
export function screenResponseXml(xml: string): string | null {
  const screened = screenResponse(xml);
  return "problem" in screened ? screened.problem : screened.assertions === 1 ? null : ONE_ASSERTION;
}

/**
 * The same screen, admitting a Response with no assertion too (an IdP's
 * failure status, saml-core §3.2.2.2): the reason to refuse, or how many
 * assertions it holds (0 or 1).
 */
export function screenResponse(xml: string): { problem: string } | { assertions: number } {
  const walked = walk(xml);
  return typeof walked === "string" ? { problem: walked } : { assertions: walked };
}

/** The reason to refuse, or the number of assertions (at most one). */
function walk(xml: string): string | number {
  if (declaresDtd(xml)) return "The response declares a DTD or entities.";
  let open: Element | null = null;
  let roots = 0;
  let responses = 0;
  let assertions = 0;
  let signatures = 0;
  let at = 0;
  while (at < xml.length) {
    START_TAG.lastIndex = at;
    const start = START_TAG.exec(xml);
    if (start) {
      at = START_TAG.lastIndex;
      const name = localName(start[1] ?? "");
      const depth = open ? open.depth + 1 : 0;
      if (depth >= MAX_DEPTH) return `The response nests elements deeper than ${MAX_DEPTH}.`;
      if (depth === 0 && ++roots > 1) return "The response has more than one root element.";
      const element: Element = {
        name,
        attributes: attributesOf(start[2] ?? ""),
        parent: open,
        depth,
        children: [],
        inSignature: name === "Signature" || (open?.inSignature ?? false),
      };
      if (name === "Response") responses++;
      if (name === "Assertion" || name === "EncryptedAssertion") assertions++;
      if (name === "Signature" && ++signatures > MAX_SIGNATURES) {
        return `The response holds more than ${MAX_SIGNATURES} signatures.`;
      }
      if (element.inSignature) {
        const problem = signatureElementProblem(element);
        if (problem) return problem;
      }
      open?.children.push(name);
      if (start[3] !== "/") open = element;
      continue;
    }
    END_TAG.lastIndex = at;
    const end = END_TAG.exec(xml);
    if (end) {
      if (!open || localName(end[1] ?? "") !== open.name) return "The response is not well-formed XML.";
      at = END_TAG.lastIndex;
      open = open.parent;
      continue;
    }
    SKIPPED.lastIndex = at;
    if (!SKIPPED.exec(xml)) return "The response is not well-formed XML.";
    at = SKIPPED.lastIndex;
  }
  if (open) return "The response is not well-formed XML.";
  if (responses !== 1) return "The response must hold exactly one Response element.";
  return assertions > 1 ? ONE_ASSERTION : assertions;
}

/** Strict base64 to UTF-8 text, or null: the SAMLResponse form field before the screen. */
export function decodeBase64(text: string): string | null {
  const compact = text.replace(/[\r\n ]/g, "");
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(compact) || compact.length % 4 !== 0) return null;
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(atob(compact), (c) => c.charCodeAt(0)));
  } catch {
    return null;
  }
}
