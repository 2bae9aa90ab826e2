import { SignedXml } from "xml-crypto";
import type { TestKeyPair } from "./saml-idp.js";

/**
 * Signatures of shapes the SAML 2.0 profile never produces (saml-core §5.4),
 * with correct digests and a correct value for `key`: many References, other
 * algorithms, other transforms. xml-crypto signs them; tests post them to see
 * the ACS refuse the shape before any XML library verifies it.
 */

const EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#";
const ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
export const DSIG_ALGORITHMS = {
  rsaSha1: "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
  rsaSha256: "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
  hmacSha1: "http://www.w3.org/2000/09/xmldsig#hmac-sha1",
  sha1: "http://www.w3.org/2000/09/xmldsig#sha1",
  sha256: "http://www.w3.org/2001/04/xmlenc#sha256",
  c14n: "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
  excC14nWithComments: "http://www.w3.org/2001/10/xml-exc-c14n#WithComments",
  excC14n: EXC_C14N,
  enveloped: ENVELOPED,
} as const;

export interface SignatureShape {
  /** How many References, all to the assertion (default 1). */
  references?: number;
  signatureAlgorithm?: string;
  digestAlgorithm?: string;
  canonicalization?: string;
  transforms?: string[];
  /** Put the signer's certificate in KeyInfo (default false: the SP falls back to the metadata's). */
  keyInfo?: boolean;
}

/**
 * Signs the one Assertion of an unsigned Response XML (from
 * `idp.responseXml({ sign: "none" })`) with `key`, in this shape; the
 * Signature goes right after the assertion's Issuer, as the profile places it.
 */
export function signAssertionWithShape(responseXml: string, key: TestKeyPair, shape: SignatureShape = {}): string {
  const sig = new SignedXml({
    privateKey: key.privateKeyPem,
    publicCert: shape.keyInfo ? key.certificatePem : undefined,
    signatureAlgorithm: shape.signatureAlgorithm ?? DSIG_ALGORITHMS.rsaSha256,
    canonicalizationAlgorithm: shape.canonicalization ?? EXC_C14N,
  });
  if (!shape.keyInfo) sig.getKeyInfoContent = () => null;
  for (let i = 0; i < (shape.references ?? 1); i++) {
    sig.addReference({
      xpath: "//*[local-name(.)='Assertion']",
      transforms: shape.transforms ?? [ENVELOPED, EXC_C14N],
      digestAlgorithm: shape.digestAlgorithm ?? DSIG_ALGORITHMS.sha256,
    });
  }
  sig.computeSignature(responseXml, {
    prefix: "ds",
    location: { reference: "//*[local-name(.)='Assertion']/*[local-name(.)='Issuer']", action: "after" },
  });
  return sig.getSignedXml();
}

/** Base64 of the XML, as the HTTP-POST binding's SAMLResponse field carries it. */
export const asSamlResponse = (xml: string) => Buffer.from(xml, "utf8").toString("base64");
