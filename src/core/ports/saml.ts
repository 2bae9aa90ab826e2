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

/** A bearer `SubjectConfirmationData` of the assertion (signed with it); null where an attribute is absent. */
export interface BearerConfirmation {
  recipient: string | null;
  inResponseTo: string | null;
  notBefore: Date | null;
  notOnOrAfter: Date | null;
}

/**
 * What a verified SAML Response says, read from its elements (never comment
 * text): its one assertion, whose signature was checked against the IdP's
 * certificates, and the Response's own attributes (signed only when the
 * Response is).
 */
export interface VerifiedAssertion {
  issuer: string;
  /** The Response's Issuer, when it has one. */
  responseIssuer: string | null;
  nameId: string;
  responseId: string;
  assertionId: string;
  /** The Response's InResponseTo: unsigned when only the assertion is signed. */
  responseInResponseTo: string | null;
  destination: string | null;
  /** The assertion's bearer SubjectConfirmations (SAML Profiles §4.1.4.2). */
  confirmations: BearerConfirmation[];
  /** The Audiences of each AudienceRestriction, one list per restriction (SAML Core §2.5.1.4). */
  audienceRestrictions: string[][];
  notBefore: Date | null;
  notOnOrAfter: Date | null;
  attributes: Record<string, string | string[]>;
}

/** A Response that holds no assertion: the IdP's answer that it did not sign the user in (saml-core §3.2.2.2). */
export interface SamlStatusResponse {
  /** The top-level StatusCode's value, e.g. `urn:oasis:names:tc:SAML:2.0:status:Responder`. */
  status: string;
  /** The second-level StatusCode's value (AuthnFailed, RequestDenied, NoPassive, ...), when there is one. */
  detail: string | null;
  /** The request it answers; unsigned, so it only finds a pending login to end. */
  inResponseTo: string | null;
}

export interface SamlProtocol {
  /** The status of a screened Response that holds no assertion; null when it holds one. */
  statusOf(xml: string): SamlStatusResponse | null;
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
