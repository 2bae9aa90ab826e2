import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { fromBase64Url } from "../crypto/encoding.js";
import { isLoopbackHttp } from "../net/egress.js";

/**
 * What IdP metadata must hold to be usable, checked when a connection is
 * stored rather than at every later login or ACS. Pure JS (asn1js, pkijs),
 * so the same on Node and Workers.
 */

const RSA_ENCRYPTION = "1.2.840.113549.1.1.1";

/**
 * Why a metadata `ds:X509Certificate` (base64 DER, whitespace removed) cannot
 * check the IdP's signatures, or null: it must be one whole X.509
 * certificate with an RSA key, the only keys of the signature algorithms
 * the ACS admits (see screen.ts).
 */
export function signingCertificateProblem(base64: string): string | null {
  const der = fromBase64Url(base64);
  if (!der) return "is not base64";
  const parsed = asn1js.fromBER(der);
  if (parsed.offset !== der.byteLength) return "is not one DER-encoded X.509 certificate";
  let certificate: pkijs.Certificate;
  try {
    certificate = new pkijs.Certificate({ schema: parsed.result });
  } catch {
    return "is not an X.509 certificate";
  }
  const key = certificate.subjectPublicKeyInfo;
  if (key.algorithm.algorithmId !== RSA_ENCRYPTION || !(key.parsedKey instanceof pkijs.RSAPublicKey)) {
    return "does not hold an RSA public key";
  }
  return null;
}

/**
 * Why a SingleSignOnService location may not be where logins send browsers,
 * or null: https, or http on a loopback host (a local IdP; the rule local
 * OAuth providers meet). The browser, not this service, goes there, so an
 * intranet IdP is fine; javascript:, data: or plain http across the network
 * are not.
 */
export function ssoLocationProblem(location: string): string | null {
  const url = URL.canParse(location) ? new URL(location) : null;
  if (!url) return "is not a URL";
  return url.protocol === "https:" || isLoopbackHttp(url) ? null : "must be https (http only on a loopback host)";
}
