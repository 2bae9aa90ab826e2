import * as samlify from "samlify";
import {
  type IdpDescription,
  type SamlProtocol,
  SamlProtocolError,
  type SpDescription,
} from "../../core/ports/saml.js";

const { binding, format } = samlify.Constants.namespace;

function serviceProvider(sp: SpDescription, wantSigned: boolean) {
  return samlify.ServiceProvider({
    entityID: sp.entityId,
    assertionConsumerService: [{ Binding: binding.post, Location: sp.acsUrl }],
    signingCert: sp.certificatePem,
    privateKey: sp.privateKeyPem,
    encryptCert: sp.certificatePem,
    encPrivateKey: sp.privateKeyPem,
    authnRequestsSigned: wantSigned,
    wantAssertionsSigned: true,
    nameIDFormat: [format.emailAddress, format.persistent, format.unspecified],
    requestSignatureAlgorithm: samlify.Constants.algorithms.signature.RSA_SHA256,
  });
}

const asList = (value: string | string[] | undefined) =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** SAML through samlify. */
export const samlifyProtocol: SamlProtocol = {
  describeIdp(metadataXml) {
    let entityId: unknown;
    let sso: unknown;
    let signing: string[];
    let wantSigned: boolean;
    // samlify throws all kinds of errors (and TypeErrors) on odd metadata; any of them means unusable.
    try {
      const meta = samlify.IdentityProvider({ metadata: metadataXml }).entityMeta;
      entityId = meta.getEntityID();
      sso = meta.getSingleSignOnService("redirect");
      signing = asList(meta.getX509Certificate("signing") as string | string[] | undefined);
      wantSigned = meta.isWantAuthnRequestsSigned();
    } catch (error) {
      throw new SamlProtocolError(`The IdP metadata does not parse: ${(error as Error).message}`);
    }
    if (typeof entityId !== "string" || entityId === "")
      throw new SamlProtocolError("The IdP metadata names no entityID.");
    if (typeof sso !== "string" || !URL.canParse(sso)) {
      throw new SamlProtocolError("The IdP metadata has no HTTP-Redirect SingleSignOnService.");
    }
    if (signing.length === 0 || signing.some((cert) => typeof cert !== "string"))
      throw new SamlProtocolError("The IdP metadata has no signing certificate.");
    const description: IdpDescription = {
      entityId,
      ssoRedirectUrl: sso,
      signingCertificates: signing.map((cert) => cert.replace(/\s+/g, "")),
      wantAuthnRequestsSigned: wantSigned,
    };
    return description;
  },

  spMetadata(sp) {
    return serviceProvider(sp, true).getMetadata();
  },

  loginRequest(sp, idpMetadataXml, relayState) {
    const idp = samlify.IdentityProvider({ metadata: idpMetadataXml });
    const request = serviceProvider(sp, idp.entityMeta.isWantAuthnRequestsSigned()).createLoginRequest(
      idp,
      "redirect",
      { relayState },
    ) as { id: string; context: string };
    return { id: request.id, url: request.context };
  },
};
