import * as samlify from "samlify";
import {
  type IdpDescription,
  type SamlProtocol,
  SamlProtocolError,
  type SpDescription,
} from "../../core/ports/saml.js";
import { declaresDtd, screenResponseXml } from "../../core/saml/screen.js";
import { samlifySchemaValidator, type XmlSchemaValidator } from "./xml-schema-validator.js";

const { binding, format } = samlify.Constants.namespace;

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
async function decryptedScreened(provider: ReturnType<typeof samlify.ServiceProvider>, xml: string): Promise<string> {
  const [plain, assertion] = (await samlify.SamlLib.decryptAssertion(provider, xml).catch((error: unknown) => {
    throw new SamlProtocolError(`The assertion does not decrypt: ${(error as Error).message}`);
  })) as [string, string];
  const problem = declaresDtd(assertion) ? "The assertion declares a DTD or entities." : screenResponseXml(plain);
  if (problem) throw new SamlProtocolError(problem);
  return plain;
}

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

  async verifyResponse(sp, idpMetadataXml, xml, skewMs) {
    const encrypted = /<(?:[\w.-]+:)?EncryptedAssertion[\s>]/.test(xml);
    const idp = samlify.IdentityProvider({ metadata: idpMetadataXml, isAssertionEncrypted: encrypted });
    const provider = samlify.ServiceProvider({
      ...serviceProviderSettings(sp, false),
      clockDrifts: [-skewMs, skewMs],
    });
    // The signature inside an encrypted assertion meets the same screen as the outer document
    // before samlify verifies it: anyone can encrypt to our public certificate.
    const plain = encrypted ? await decryptedScreened(provider, xml) : xml;
    let extract: Record<string, unknown>;
    try {
      const result = await provider.parseLoginResponse(idp, "post", {
        body: { SAMLResponse: base64OfText(xml) },
      });
      extract = result.extract as Record<string, unknown>;
    } catch (error) {
      throw new SamlProtocolError(`The SAML response is not valid: ${(error as Error).message ?? String(error)}`);
    }
    const response = (extract.response ?? {}) as Record<string, string | undefined>;
    const conditions = (extract.conditions ?? {}) as Record<string, string | undefined>;
    // The caller screened the document to one Response with one Assertion, so these attributes are that assertion's.
    const recipients = [...plain.matchAll(/<(?:\w+:)?SubjectConfirmationData\b[^>]*\bRecipient="([^"]*)"/g)].map(
      (m) => m[1] ?? "",
    );
    const assertionId = /<(?:\w+:)?Assertion\b[^>]*\bID="([^"]*)"/.exec(plain)?.[1] ?? "";
    const date = (text: string | undefined) => (text ? new Date(text) : null);
    return {
      issuer: String(extract.issuer ?? ""),
      nameId: String(extract.nameID ?? ""),
      responseId: response.id ?? "",
      assertionId,
      inResponseTo: response.inResponseTo ?? null,
      destination: response.destination ?? null,
      recipients,
      audiences: asList(extract.audience as string | string[] | undefined),
      notBefore: date(conditions.notBefore),
      notOnOrAfter: date(conditions.notOnOrAfter),
      attributes: (extract.attributes ?? {}) as Record<string, string | string[]>,
    };
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
