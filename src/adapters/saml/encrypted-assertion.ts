import { SamlProtocolError } from "../../core/ports/saml.js";
import { declaresDtd } from "../../core/saml/screen.js";
import { ASSERTION, childOf, childrenOf, parseResponse, parseXml, refuse } from "./dom.js";

/**
 * Decrypts a Response's EncryptedAssertion (saml-core §2.3.4) with WebCrypto,
 * so it runs alike on Node and in workerd: there node:crypto's privateDecrypt
 * hashes OAEP with SHA-256 unless told otherwise (Node: SHA-1, which
 * rsa-oaep-mgf1p needs), so xml-encryption's unwrap fails on every response.
 * Key transport RSA-OAEP, content AES-GCM or AES-CBC (XML Encryption 1.1 §5).
 */

const XENC = "http://www.w3.org/2001/04/xmlenc#";
const XENC11 = "http://www.w3.org/2009/xmlenc11#";
const DSIG = "http://www.w3.org/2000/09/xmldsig#";

/**
 * Content encryption (XML Encryption 1.1 §5.2): AES-GCM, and AES-CBC, which
 * IdPs still default to. CBC is unauthenticated: altered ciphertext still
 * decrypts, and whether it then parses shows in the answer (Jager and
 * Somorovsky, 2011), hence one message for every failure up to the text.
 */
const CONTENT: Record<string, { name: "AES-GCM" | "AES-CBC"; keyBytes: number }> = {
  [`${XENC11}aes128-gcm`]: { name: "AES-GCM", keyBytes: 16 },
  [`${XENC11}aes256-gcm`]: { name: "AES-GCM", keyBytes: 32 },
  [`${XENC}aes128-cbc`]: { name: "AES-CBC", keyBytes: 16 },
  [`${XENC}aes256-cbc`]: { name: "AES-CBC", keyBytes: 32 },
};

/** OAEP digests (XML Encryption 1.1 §5.5.2; the default is SHA-1). */
const DIGESTS: Record<string, string> = {
  [`${DSIG}sha1`]: "SHA-1",
  [`${XENC}sha256`]: "SHA-256",
  "http://www.w3.org/2001/04/xmldsig-more#sha384": "SHA-384",
  [`${XENC}sha512`]: "SHA-512",
};
/** xenc11#rsa-oaep's mask generation functions (§5.5.2; the default is MGF1 with SHA-1). */
const MGFS: Record<string, string> = {
  [`${XENC11}mgf1sha1`]: "SHA-1",
  [`${XENC11}mgf1sha256`]: "SHA-256",
  [`${XENC11}mgf1sha384`]: "SHA-384",
  [`${XENC11}mgf1sha512`]: "SHA-512",
};

/** Recipients' keys tried, at most: one RSA decryption each. */
const MAX_KEYS = 4;
const BLOCK = 16;
const GCM_IV = 12;
const GCM_TAG = 16;

const DOES_NOT_DECRYPT = "The assertion does not decrypt with the connection's key.";

const algorithmOf = (element: Element | null): string | null => element?.getAttribute("Algorithm") || null;

function bytesOf(base64: string): Uint8Array<ArrayBuffer> {
  const compact = base64.replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 !== 0) refuse("A CipherValue is not base64.");
  return Uint8Array.from(atob(compact), (c) => c.charCodeAt(0));
}

/** The base64 bytes of a CipherData's CipherValue (a CipherReference would have us fetch a URI: refused). */
function cipherValueOf(holder: Element): Uint8Array<ArrayBuffer> {
  const data = childOf(holder, "CipherData", XENC) ?? refuse(`The ${holder.localName} has no CipherData.`);
  const value = childOf(data, "CipherValue", XENC) ?? refuse(`The ${holder.localName} has no CipherValue.`);
  return bytesOf(value.textContent ?? "");
}

/**
 * The RSA-OAEP parameters of an EncryptedKey. RSA PKCS#1 v1.5 (xmlenc#rsa-1_5)
 * is refused: its padding check is a Bleichenbacher oracle, so anyone who may
 * post responses could unwrap a captured key (XML Encryption 1.1 §5.5.1).
 */
function oaepOf(encryptedKey: Element): RsaOaepParams & { hash: string } {
  const method = childOf(encryptedKey, "EncryptionMethod", XENC);
  const algorithm = algorithmOf(method);
  if (!method || (algorithm !== `${XENC}rsa-oaep-mgf1p` && algorithm !== `${XENC11}rsa-oaep`)) {
    return refuse(`The assertion's key transport ${algorithm ?? "(none)"} is not accepted; only RSA-OAEP is.`);
  }
  const digestUri = algorithmOf(childOf(method, "DigestMethod", DSIG)) ?? `${DSIG}sha1`;
  const mgfUri = algorithm === `${XENC11}rsa-oaep` ? algorithmOf(childOf(method, "MGF", XENC11)) : null;
  const digest = DIGESTS[digestUri] ?? refuse(`The key transport's digest ${digestUri} is not supported.`);
  const mgf =
    mgfUri === null ? "SHA-1" : (MGFS[mgfUri] ?? refuse(`The key transport's MGF ${mgfUri} is not supported.`));
  // WebCrypto's RSA-OAEP hashes the label and drives MGF1 with one hash.
  if (digest !== mgf)
    refuse(`The key transport's digest (${digest}) and MGF1 (${mgf}) differ, which is not supported.`);
  const params = childOf(method, "OAEPparams", XENC);
  return { name: "RSA-OAEP", hash: digest, ...(params ? { label: bytesOf(params.textContent ?? "") } : {}) };
}

const derOfPkcs8 = (pem: string): Uint8Array<ArrayBuffer> => {
  const body = /-----BEGIN PRIVATE KEY-----([\s\S]+?)-----END PRIVATE KEY-----/.exec(pem)?.[1];
  if (!body) throw new Error("The connection's SP key is not a PKCS#8 PEM.");
  return Uint8Array.from(atob(body.replace(/\s+/g, "")), (c) => c.charCodeAt(0));
};

/** The EncryptedKeys for this EncryptedData: in its KeyInfo, or beside it in the EncryptedAssertion (saml-core §2.3.4). */
function encryptedKeysOf(encryptedAssertion: Element, encryptedData: Element): Element[] {
  const keyInfo = childOf(encryptedData, "KeyInfo", DSIG);
  const keys = [
    ...(keyInfo ? childrenOf(keyInfo, "EncryptedKey", XENC) : []),
    ...childrenOf(encryptedAssertion, "EncryptedKey", XENC),
  ];
  if (keys.length === 0) refuse("The EncryptedAssertion holds no EncryptedKey.");
  if (keys.length > MAX_KEYS) refuse(`The EncryptedAssertion holds more than ${MAX_KEYS} EncryptedKeys.`);
  return keys;
}

/** The content key: the first EncryptedKey (another recipient's key may come first) that opens with ours. */
async function contentKeyOf(keys: Element[], privateKeyPem: string, content: (typeof CONTENT)[string]) {
  const der = derOfPkcs8(privateKeyPem);
  const usages: KeyUsage[] = content.name === "AES-CBC" ? ["encrypt", "decrypt"] : ["decrypt"];
  for (const encryptedKey of keys) {
    const oaep = oaepOf(encryptedKey);
    const wrapped = cipherValueOf(encryptedKey);
    const rsa = await crypto.subtle.importKey("pkcs8", der, { name: "RSA-OAEP", hash: oaep.hash }, false, ["decrypt"]);
    const raw = await crypto.subtle.decrypt(oaep, rsa, wrapped).catch(() => null);
    if (raw?.byteLength !== content.keyBytes) continue;
    return crypto.subtle.importKey("raw", raw, { name: content.name }, false, usages);
  }
  return refuse(DOES_NOT_DECRYPT);
}

/** XML Encryption 1.1 §5.2.4: IV (96 bits) || ciphertext || tag (128 bits). */
async function decryptGcm(key: CryptoKey, bytes: Uint8Array<ArrayBuffer>): Promise<ArrayBuffer> {
  if (bytes.length < GCM_IV + GCM_TAG) refuse(DOES_NOT_DECRYPT);
  const iv = bytes.subarray(0, GCM_IV);
  return crypto.subtle.decrypt({ name: "AES-GCM", iv, tagLength: 128 }, key, bytes.subarray(GCM_IV));
}

/**
 * XML Encryption 1.1 §5.2.1-5.2.2: IV || ciphertext, padded as ISO 10126
 * (the last byte counts the padding; the others are arbitrary), which
 * WebCrypto's PKCS#7 check would refuse. One block more, the encryption of
 * a full PKCS#7 block chained after the last one, makes that check pass
 * and leaves the plaintext with its own padding, removed here.
 */
async function decryptCbc(key: CryptoKey, bytes: Uint8Array<ArrayBuffer>): Promise<ArrayBuffer> {
  if (bytes.length < 2 * BLOCK || bytes.length % BLOCK !== 0) refuse(DOES_NOT_DECRYPT);
  const last = bytes.subarray(bytes.length - BLOCK);
  const fullPad = new Uint8Array(BLOCK).fill(BLOCK);
  // CBC's first block: E(fullPad XOR last), so it decrypts (chained after `last`) to fullPad.
  const extra = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-CBC", iv: last }, key, fullPad), 0, BLOCK);
  const chained = new Uint8Array(bytes.length);
  chained.set(bytes.subarray(BLOCK));
  chained.set(extra, bytes.length - BLOCK);
  const padded = new Uint8Array(
    await crypto.subtle.decrypt({ name: "AES-CBC", iv: bytes.subarray(0, BLOCK) }, key, chained),
  );
  const padding = padded[padded.length - 1] ?? 0;
  if (padding < 1 || padding > BLOCK) refuse(DOES_NOT_DECRYPT);
  return padded.buffer.slice(0, padded.length - padding);
}

/**
 * The Response with its EncryptedAssertion replaced by the Assertion it
 * holds, and that Assertion's text: what samlify's decryptAssertion
 * answers, so its flow verifies the same plaintext.
 */
export async function decryptAssertion(responseXml: string, privateKeyPem: string): Promise<[string, string]> {
  const response = parseResponse(responseXml);
  const encrypted = childOf(response, "EncryptedAssertion") ?? refuse("The Response holds no EncryptedAssertion.");
  const data = childOf(encrypted, "EncryptedData", XENC) ?? refuse("The EncryptedAssertion holds no EncryptedData.");
  const type = data.getAttribute("Type");
  if (type && type !== `${XENC}Element`) refuse(`The EncryptedData's Type ${type} is not an element.`);
  const algorithm = algorithmOf(childOf(data, "EncryptionMethod", XENC));
  const content =
    CONTENT[algorithm ?? ""] ??
    refuse(`The assertion's encryption ${algorithm ?? "(none)"} is not supported; AES-GCM and AES-CBC are.`);
  const key = await contentKeyOf(encryptedKeysOf(encrypted, data), privateKeyPem, content);
  const bytes = cipherValueOf(data);
  let assertionXml = "";
  try {
    const plain = await (content.name === "AES-GCM" ? decryptGcm(key, bytes) : decryptCbc(key, bytes));
    assertionXml = new TextDecoder("utf-8", { fatal: true }).decode(plain);
  } catch (error) {
    // One answer for a failed tag, bad padding or bytes that are not text.
    if (error instanceof SamlProtocolError) throw error;
    refuse(DOES_NOT_DECRYPT);
  }
  // Before any parser sees it: anyone can encrypt to the connection's public certificate.
  if (declaresDtd(assertionXml)) refuse("The assertion declares a DTD or entities.");
  const assertion = parseXml(assertionXml, "decrypted assertion").documentElement;
  if (assertion?.localName !== "Assertion" || assertion.namespaceURI !== ASSERTION) {
    return refuse("The EncryptedAssertion does not hold an Assertion.");
  }
  const doc = response.ownerDocument;
  response.replaceChild(doc.importNode(assertion, true), encrypted);
  return [doc.toString(), assertionXml];
}
