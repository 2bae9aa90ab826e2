// Node imports samlify (CommonJS) by its exports object: the namespace form misses SamlLib there (a getter its lexer skips).
import samlify from "samlify";
import {
  type IdpDescription,
  type SamlProtocol,
  SamlProtocolError,
  type SpDescription,
} from "../../core/ports/saml.js";
import { signingCertificateProblem, ssoLocationProblem } from "../../core/saml/idp-checks.js";
import { declaresDtd, screenResponseXml } from "../../core/saml/screen.js";
import { parseResponse } from "./dom.js";
import { decryptAssertion } from "./encrypted-assertion.js";
import { holdsEncryptedAssertion, readStatusResponse, readVerifiedResponse } from "./response-reader.js";
import { samlifySchemaValidator, type XmlSchemaValidator } from "./xml-schema-validator.js";

const { binding, format } = samlify.Constants.namespace;

// samlify's flow decrypts through SamlLib.decryptAssertion (xml-encryption on node:crypto, which fails in workerd):
// the WebCrypto one stands in, on every runtime, and refuses RSA PKCS#1 v1.5 and 3DES, which xml-encryption took.
samlify.SamlLib.decryptAssertion = (here, xml) => decryptAssertion(xml, String(here.entitySetting.encPrivateKey));

/**
 * samlify validates every inbound message against the SAML schemas through
 * one process-wide validator; without it, it refuses all responses. Entries
 * call this once with the xmllint WASM validator of their runtime.
 */
export function useSchemaValidator(validator: XmlSchemaValidator): void {
  samlify.setSchemaValidator(samlifySchemaValidator(validator));
}

function serviceProvider(sp: SpDescription, wantSigned: boolean) {
  return samlify.ServiceProvider(serviceProviderSettings(sp, wantSigned));
}

function serviceProviderSettings(sp: SpDescription, wantSigned: boolean) {
  return {
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
  };
}

const asList = (value: string | string[] | undefined) =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** Base64 of UTF-8 text, in slices (spreading ~100k bytes into one call overflows the stack). */
function base64OfText(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (let at = 0; at < bytes.length; at += 8192) binary += String.fromCharCode(...bytes.subarray(at, at + 8192));
  return btoa(binary);
}

/** The response with its assertion decrypted (samlify verifies that same plaintext), screened as the caller screened the original. */
async function decryptedScreened(sp: SpDescription, xml: string): Promise<string> {
  const [plain, assertion] = await decryptAssertion(xml, sp.privateKeyPem);
  const problem = declaresDtd(assertion) ? "The assertion declares a DTD or entities." : screenResponseXml(plain);
  if (problem) throw new SamlProtocolError(problem);
  return plain;
}

/** SAML through samlify. */
export const samlifyProtocol: SamlProtocol = {
  statusOf: (xml) => readStatusResponse(parseResponse(xml)),

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
    if (typeof sso !== "string")
      throw new SamlProtocolError("The IdP metadata has no HTTP-Redirect SingleSignOnService.");
    const ssoProblem = ssoLocationProblem(sso);
    if (ssoProblem) throw new SamlProtocolError(`The IdP's HTTP-Redirect SingleSignOnService location ${ssoProblem}.`);
    if (signing.length === 0 || signing.some((cert) => typeof cert !== "string"))
      throw new SamlProtocolError("The IdP metadata has no signing certificate.");
    const certificates = signing.map((cert) => cert.replace(/\s+/g, ""));
    // Each one: a response may be signed by any of them, and one that does not parse fails every ACS using it.
    for (const [index, cert] of certificates.entries()) {
      const problem = signingCertificateProblem(cert);
      if (problem) throw new SamlProtocolError(`The IdP's signing certificate ${index + 1} ${problem}.`);
    }
    const description: IdpDescription = {
      entityId,
      ssoRedirectUrl: sso,
      signingCertificates: certificates,
      wantAuthnRequestsSigned: wantSigned,
    };
    return description;
  },

  spMetadata(sp) {
    return serviceProvider(sp, true).getMetadata();
  },

  async verifyResponse(sp, idpMetadataXml, xml, skewMs) {
    const response = parseResponse(xml);
    const encrypted = holdsEncryptedAssertion(response);
    const idp = samlify.IdentityProvider({ metadata: idpMetadataXml, isAssertionEncrypted: encrypted });
    const provider = samlify.ServiceProvider({
      ...serviceProviderSettings(sp, false),
      clockDrifts: [-skewMs, skewMs],
    });
    const verified = async () => {
      // The signature inside an encrypted assertion meets the same screen as the outer document
      // before samlify verifies it: anyone can encrypt to our public certificate.
      const plain = encrypted ? parseResponse(await decryptedScreened(sp, xml)) : response;
      try {
        await provider.parseLoginResponse(idp, "post", { body: { SAMLResponse: base64OfText(xml) } });
      } catch (error) {
        throw new SamlProtocolError(`The SAML response is not valid: ${(error as Error).message ?? String(error)}`);
      }
      // Verified: read from the document's elements, never by pattern over its text (comments would count).
      return readVerifiedResponse(plain);
    };
    if (!encrypted) return verified();
    // One answer for every failure from decryption to signature: telling a plaintext that does not
    // parse from one that does is the oracle of the attack on XML Encryption's CBC mode
    // (Jager and Somorovsky, "How to Break XML Encryption", 2011).
    return verified().catch(() => {
      throw new SamlProtocolError("The encrypted assertion does not decrypt to a valid, signed assertion.");
    });
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
