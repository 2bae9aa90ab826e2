/**
 * The SAML 2.0 protocol work the core needs, behind a port: samlify does it
 * (src/adapters/saml), on Node and inside workerd alike.
 */

/** What the service keeps of an IdP's metadata. */
export interface IdpDescription {
  entityId: string;
  /** HTTP-Redirect SingleSignOnService location. */
  ssoRedirectUrl: string;
  /** Base64 DER certificates in `use="signing"` (or unspecified) KeyDescriptors; more than one during a rollover. */
  signingCertificates: string[];
  wantAuthnRequestsSigned: boolean;
}

/** The service provider of one connection. */
export interface SpDescription {
  entityId: string;
  acsUrl: string;
  certificatePem: string;
  privateKeyPem: string;
}

export class SamlProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SamlProtocolError";
  }
}

/** What a verified SAML Response says (its one assertion's signature checked against the IdP's certificates). */
export interface VerifiedAssertion {
  issuer: string;
  nameId: string;
  responseId: string;
  assertionId: string;
  inResponseTo: string | null;
  destination: string | null;
  recipients: string[];
  audiences: string[];
  notBefore: Date | null;
  notOnOrAfter: Date | null;
  attributes: Record<string, string | string[]>;
}

export interface SamlProtocol {
  /**
   * Verifies a POST-binding SAMLResponse (decoded XML, already screened by
   * the caller): schema, signature over the assertion that is used, issuer
   * and time window (with `skewMs`). Throws SamlProtocolError otherwise.
   */
  verifyResponse(sp: SpDescription, idpMetadataXml: string, xml: string, skewMs: number): Promise<VerifiedAssertion>;
  /** Throws SamlProtocolError for metadata that is not a usable IdP description. */
  describeIdp(metadataXml: string): IdpDescription;
  spMetadata(sp: SpDescription): string;
  /** An AuthnRequest for the HTTP-Redirect binding (signed when the IdP wants it); resolves its ID and the URL. */
  loginRequest(sp: SpDescription, idpMetadataXml: string, relayState: string): { id: string; url: string };
}
