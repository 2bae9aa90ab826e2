/**
 * The WebCrypto decryption of a SAML EncryptedAssertion: what IdPs send
 * (xml-encryption's output; ISO 10126 padding with random bytes as
 * Santuario/Shibboleth pad AES-CBC; xenc11#rsa-oaep with SHA-256; the key
 * beside the data) decrypts, and everything else is a SamlProtocolError:
 * RSA PKCS#1 v1.5, 3DES and unknown algorithms, a tampered ciphertext, bad
 * padding, another recipient's key, a DTD or a non-Assertion inside.
 */
import { constants, createCipheriv, publicEncrypt, randomBytes } from "node:crypto";
import { DOMParser } from "@xmldom/xmldom";
import { beforeAll, describe, expect, it } from "vitest";
import { decryptAssertion } from "../../src/adapters/saml/encrypted-assertion.js";
import { SamlProtocolError } from "../../src/core/ports/saml.js";
import {
  alterCiphertext,
  createSamlIdp,
  createTestCertificate,
  SAML_NS,
  type SamlIdp,
  type SamlResponseOptions,
  type TestKeyPair,
} from "../support/saml-idp.js";

const XENC = "http://www.w3.org/2001/04/xmlenc#";
const XENC11 = "http://www.w3.org/2009/xmlenc11#";
const DSIG = "http://www.w3.org/2000/09/xmldsig#";
const NAME_ID = "erin@corp.example";
const ASSERTION = `<saml:Assertion xmlns:saml="${SAML_NS.assertion}" ID="_a1" Version="2.0" IssueInstant="2030-01-01T00:00:00Z"><saml:Issuer>https://idp.test/metadata</saml:Issuer><saml:Subject><saml:NameID>${NAME_ID}</saml:NameID></saml:Subject></saml:Assertion>`;

let sp: TestKeyPair;
let other: TestKeyPair;
let idp: SamlIdp;

beforeAll(() => {
  sp = createTestCertificate("SP");
  other = createTestCertificate("another SP");
  idp = createSamlIdp({ entityId: "https://idp.test/metadata", ssoUrl: "https://idp.test/sso" });
});

const fromIdp = (encrypt: Partial<NonNullable<SamlResponseOptions["encrypt"]>>, options = {}) =>
  idp.responseXml({
    nameId: NAME_ID,
    audience: "https://sp.test/metadata",
    recipient: "https://sp.test/acs",
    encrypt: { certificatePem: sp.certificatePem, ...encrypt },
    ...options,
  });

const CBC = { "aes128-cbc": "aes-128-cbc", "aes256-cbc": "aes-256-cbc" } as const;

interface Built {
  content?: keyof typeof CBC | "aes256-gcm";
  /** CBC padding: ISO 10126 (random bytes, then the count) or a raw last byte. */
  padByte?: number;
  plaintext?: string;
  /** The EncryptedKey's EncryptionMethod (its Algorithm and children). */
  keyMethod?: string;
  wrap?: (key: Buffer) => Buffer;
  /** Where the EncryptedKey sits: in the EncryptedData's KeyInfo, or beside it (after another recipient's). */
  placement?: "inline" | "peer";
  contentUri?: string;
  type?: string;
}

/** An encrypted Response made here with node:crypto, for what xml-encryption does not produce. */
function built(o: Built = {}): string {
  const content = o.content ?? "aes128-cbc";
  const key = randomBytes(content === "aes128-cbc" ? 16 : 32);
  const plaintext = Buffer.from(o.plaintext ?? ASSERTION, "utf8");
  let cipherValue: Buffer;
  if (content === "aes256-gcm") {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", key, iv);
    cipherValue = Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  } else {
    // XML Encryption 1.1 §5.2.1: arbitrary bytes, then their count (1..16) as the last byte.
    const count = 16 - (plaintext.length % 16);
    const padding = Buffer.concat([randomBytes(count - 1), Buffer.from([o.padByte ?? count])]);
    const iv = randomBytes(16);
    const cipher = createCipheriv(CBC[content], key, iv).setAutoPadding(false);
    cipherValue = Buffer.concat([iv, cipher.update(Buffer.concat([plaintext, padding])), cipher.final()]);
  }
  const wrap =
    o.wrap ??
    ((raw: Buffer) => publicEncrypt({ key: sp.certificatePem, padding: constants.RSA_PKCS1_OAEP_PADDING }, raw));
  const keyMethod = o.keyMethod ?? `<xenc:EncryptionMethod Algorithm="${XENC}rsa-oaep-mgf1p"/>`;
  const encryptedKey = (id: string, wrapped: Buffer) =>
    `<xenc:EncryptedKey Id="${id}" xmlns:xenc="${XENC}">${keyMethod}<xenc:CipherData><xenc:CipherValue>${wrapped.toString("base64")}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedKey>`;
  const ours = encryptedKey("_k1", wrap(key));
  const theirs = encryptedKey(
    "_k0",
    publicEncrypt({ key: other.certificatePem, padding: constants.RSA_PKCS1_OAEP_PADDING }, key),
  );
  const peer = o.placement === "peer";
  const keyInfo = peer
    ? `<ds:KeyInfo xmlns:ds="${DSIG}"><ds:RetrievalMethod URI="#_k1" Type="${XENC}EncryptedKey"/></ds:KeyInfo>`
    : `<ds:KeyInfo xmlns:ds="${DSIG}">${ours}</ds:KeyInfo>`;
  const contentUri = o.contentUri ?? (content === "aes256-gcm" ? `${XENC11}aes256-gcm` : `${XENC}${content}`);
  const data = `<xenc:EncryptedData xmlns:xenc="${XENC}" Type="${o.type ?? `${XENC}Element`}"><xenc:EncryptionMethod Algorithm="${contentUri}"/>${keyInfo}<xenc:CipherData><xenc:CipherValue>${cipherValue.toString("base64")}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedData>`;
  return responseAround(`${data}${peer ? theirs + ours : ""}`);
}

const responseAround = (encryptedAssertionContent: string) =>
  `<samlp:Response xmlns:samlp="${SAML_NS.protocol}" xmlns:saml="${SAML_NS.assertion}" ID="_r1" Version="2.0" IssueInstant="2030-01-01T00:00:00Z"><saml:Issuer>https://idp.test/metadata</saml:Issuer><saml:EncryptedAssertion>${encryptedAssertionContent}</saml:EncryptedAssertion></samlp:Response>`;

/** The Response decrypted: it holds the Assertion (and no EncryptedAssertion), whose NameID is `nameId`. */
async function expectDecrypts(xml: string, nameId = NAME_ID) {
  const [response, assertion] = await decryptAssertion(xml, sp.privateKeyPem);
  const doc = new DOMParser().parseFromString(response, "text/xml");
  expect(doc.getElementsByTagNameNS(SAML_NS.assertion, "EncryptedAssertion")).toHaveLength(0);
  const assertions = doc.getElementsByTagNameNS(SAML_NS.assertion, "Assertion");
  expect(assertions).toHaveLength(1);
  expect(doc.getElementsByTagNameNS(SAML_NS.assertion, "NameID")[0]?.textContent).toBe(nameId);
  expect(assertion).toMatch(/^<saml:Assertion /);
  expect(assertion).toContain(`>${nameId}</saml:NameID>`);
  return assertion;
}

async function expectRefused(xml: string, message: RegExp, key = sp.privateKeyPem) {
  const error = await decryptAssertion(xml, key).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(SamlProtocolError);
  expect((error as Error).message).toMatch(message);
}

describe("decrypts", () => {
  it.each(["aes256-gcm", "aes128-gcm", "aes256-cbc", "aes128-cbc"] as const)(
    "what xml-encryption makes with %s and rsa-oaep-mgf1p",
    async (algorithm) => {
      const assertion = await expectDecrypts(await fromIdp({ algorithm }));
      expect(assertion).toContain("<ds:Signature");
    },
  );

  it.each([
    ["AES-128-CBC", "aes128-cbc", ""],
    ["AES-256-CBC", "aes256-cbc", ""],
    // A whole block of padding: the plaintext is a multiple of 16 bytes.
    ["AES-128-CBC, a whole block of padding", "aes128-cbc", " ".repeat(16 - (Buffer.byteLength(ASSERTION) % 16))],
  ] as const)("%s with ISO 10126 padding (random bytes, then their count)", async (_name, content, extra) => {
    const plaintext = ASSERTION.replace("<saml:Issuer>", `${extra}<saml:Issuer>`);
    expect(await expectDecrypts(built({ content, plaintext }))).toBe(plaintext);
  });

  it("xenc11#rsa-oaep with SHA-256 and MGF1-SHA-256, and an OAEP label", async () => {
    const label = Buffer.from("label");
    const keyMethod = `<xenc:EncryptionMethod Algorithm="${XENC11}rsa-oaep"><xenc:OAEPparams>${label.toString("base64")}</xenc:OAEPparams><ds:DigestMethod xmlns:ds="${DSIG}" Algorithm="${XENC}sha256"/><xenc11:MGF xmlns:xenc11="${XENC11}" Algorithm="${XENC11}mgf1sha256"/></xenc:EncryptionMethod>`;
    const wrap = (key: Buffer) =>
      publicEncrypt(
        { key: sp.certificatePem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256", oaepLabel: label },
        key,
      );
    await expectDecrypts(built({ content: "aes256-gcm", keyMethod, wrap }));
  });

  it("the EncryptedKey beside the EncryptedData, after another recipient's", async () => {
    await expectDecrypts(built({ placement: "peer" }));
  });
});

describe("refuses", () => {
  it("RSA PKCS#1 v1.5 key transport (a padding oracle), even when it would open", async () => {
    await expectRefused(await fromIdp({ keyTransport: "rsa-1_5" }), /key transport .*rsa-1_5 is not accepted/);
  });

  it("3DES and content algorithms it does not know", async () => {
    await expectRefused(await fromIdp({ algorithm: "tripledes-cbc" }), /encryption .*tripledes-cbc is not supported/);
    await expectRefused(built({ contentUri: `${XENC11}aes192-gcm` }), /aes192-gcm is not supported/);
    await expectRefused(built({ contentUri: "" }), /encryption \(none\) is not supported/);
  });

  it("OAEP parameters WebCrypto cannot follow (a SHA-256 digest with mgf1p's MGF1-SHA-1)", async () => {
    const keyMethod = `<xenc:EncryptionMethod Algorithm="${XENC}rsa-oaep-mgf1p"><ds:DigestMethod xmlns:ds="${DSIG}" Algorithm="${XENC}sha256"/></xenc:EncryptionMethod>`;
    await expectRefused(built({ keyMethod }), /digest \(SHA-256\) and MGF1 \(SHA-1\) differ/);
  });

  it("a tampered ciphertext (GCM tag, CBC padding), with one message", async () => {
    await expectRefused(alterCiphertext(await fromIdp({ algorithm: "aes256-gcm" })), /does not decrypt/);
    for (const padByte of [0, 17, 255]) {
      await expectRefused(built({ padByte }), /does not decrypt/);
    }
  });

  it("an assertion encrypted to another key, decrypted with another key, or with no EncryptedKey", async () => {
    await expectRefused(await fromIdp({ certificatePem: other.certificatePem }), /does not decrypt/);
    await expectRefused(await fromIdp({}), /does not decrypt/, other.privateKeyPem);
    const keyless = (await fromIdp({})).replace(/<KeyInfo[\s\S]*<\/KeyInfo>/, "");
    await expectRefused(keyless, /holds no EncryptedKey/);
  });

  it("a DTD, or anything but one Assertion, inside", async () => {
    const dtd = `<!DOCTYPE x [<!ENTITY e "e">]>${ASSERTION}`;
    await expectRefused(built({ plaintext: dtd }), /declares a DTD/);
    await expectRefused(
      built({ plaintext: `<saml:Issuer xmlns:saml="${SAML_NS.assertion}">x</saml:Issuer>` }),
      /does not hold an Assertion/,
    );
    await expectRefused(built({ plaintext: `${ASSERTION}${ASSERTION}` }), /decrypted assertion does not parse/);
    await expectRefused(built({ type: `${XENC}Content` }), /is not an element/);
  });

  it("two EncryptedAssertions, a CipherReference, a ciphertext too short to hold an IV", async () => {
    const xml = await fromIdp({});
    const encrypted = /<saml:EncryptedAssertion[\s\S]*<\/saml:EncryptedAssertion>/.exec(xml)?.[0] ?? "";
    await expectRefused(xml.replace(encrypted, encrypted + encrypted), /more than one EncryptedAssertion/);
    const reference = xml.replace(
      /<xenc:CipherValue>[^<]*<\/xenc:CipherValue>(?![\s\S]*CipherValue>)/,
      '<xenc:CipherReference URI="https://idp.test/cipher"/>',
    );
    await expectRefused(reference, /EncryptedData has no CipherValue/);
    const short = xml.replace(/(<xenc:CipherValue>)[^<]*(<\/xenc:CipherValue>)(?![\s\S]*CipherValue>)/, "$1AAAA$2");
    await expectRefused(short, /does not decrypt/);
  });
});
