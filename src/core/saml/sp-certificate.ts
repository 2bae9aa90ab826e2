import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import type { Random } from "../ports/clock.js";

/** A connection's service-provider key pair: it signs AuthnRequests and decrypts assertions. */
export interface SpKeyPair {
  privateKeyPem: string;
  certificatePem: string;
}

const RSA = {
  name: "RSASSA-PKCS1-v1_5",
  hash: "SHA-256",
  modulusLength: 2048,
  publicExponent: new Uint8Array([1, 0, 1]),
};
const TEN_YEARS_MS = 10 * 366 * 86_400_000;

function pem(label: string, der: ArrayBuffer): string {
  const base64 = btoa(String.fromCharCode(...new Uint8Array(der)));
  return `-----BEGIN ${label}-----\n${base64.replace(/.{64}/g, "$&\n").replace(/\n$/, "")}\n-----END ${label}-----\n`;
}

/**
 * A new RSA-2048 key pair and a self-signed X.509 certificate for it, made
 * with WebCrypto through pkijs (so it runs on Workers too). IdPs only pin
 * the certificate from our metadata; nobody validates a chain.
 */
export async function createSpKeyPair(commonName: string, random: Random, now: Date): Promise<SpKeyPair> {
  const keys = (await crypto.subtle.generateKey(RSA, true, ["sign", "verify"])) as CryptoKeyPair;
  const certificate = new pkijs.Certificate();
  certificate.version = 2;
  const serial = random.bytes(16);
  // A positive INTEGER (RFC 5280 §4.1.2.2) in DER's shortest form: a first byte 0x00 before one
  // below 0x80 is padding OpenSSL refuses ("illegal padding"), which once made 1 certificate in 256.
  serial[0] = 0x40 | ((serial[0] ?? 0) & 0x3f);
  certificate.serialNumber = new asn1js.Integer({ valueHex: serial });
  const name = [
    new pkijs.AttributeTypeAndValue({ type: "2.5.4.3", value: new asn1js.Utf8String({ value: commonName }) }),
  ];
  certificate.issuer.typesAndValues.push(...name);
  certificate.subject.typesAndValues.push(...name);
  certificate.notBefore.value = now;
  certificate.notAfter.value = new Date(now.getTime() + TEN_YEARS_MS);
  const engine = new pkijs.CryptoEngine({ crypto, name: "webcrypto" });
  await certificate.subjectPublicKeyInfo.importKey(keys.publicKey, engine);
  await certificate.sign(keys.privateKey, "SHA-256", engine);
  return {
    privateKeyPem: pem("PRIVATE KEY", await crypto.subtle.exportKey("pkcs8", keys.privateKey)),
    certificatePem: pem("CERTIFICATE", certificate.toSchema(true).toBER(false)),
  };
}
