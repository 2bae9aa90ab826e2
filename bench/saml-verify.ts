/**
 * `npm run bench:saml`: the CPU one SAML response costs to verify, at its
 * worst: the largest response the ACS admits (128 KiB of base64), both
 * Response and Assertion signed, the rest one big attribute statement.
 * Prints the screen's cost and samlify's (schema, signatures, extraction),
 * in-process on Node. Figures only; no targets.
 */
import { loadXmllintWasm } from "../src/adapters/saml/node-xmllint.js";
import { samlifyProtocol, useSchemaValidator } from "../src/adapters/saml/samlify.js";
import { createXmllintSchemaValidator } from "../src/adapters/saml/xml-schema-validator.js";
import { screenResponseXml } from "../src/core/saml/screen.js";
import { createSamlIdp, createTestCertificate } from "../test/support/saml-idp.js";

const MAX_BASE64 = 128 * 1024;
const RUNS = 10;

useSchemaValidator(createXmllintSchemaValidator(await loadXmllintWasm()));
const idp = createSamlIdp({ entityId: "https://idp.bench/metadata", ssoUrl: "https://idp.bench/sso" });
const spKeys = createTestCertificate("bench SP");
const sp = {
  entityId: "https://sp.bench/metadata",
  acsUrl: "https://sp.bench/acs",
  certificatePem: spKeys.certificatePem,
  privateKeyPem: spKeys.privateKeyPem,
};
const build = (values: number) =>
  idp.responseXml({
    nameId: "bench@corp.example",
    audience: sp.entityId,
    recipient: sp.acsUrl,
    sign: "both",
    attributes: { groups: Array.from({ length: values }, (_, i) => `group-${i}`) },
  });
const base64Length = (xml: string) => Math.ceil(Buffer.byteLength(xml) / 3) * 4;

// The most attribute values that still fit the bound (binary search).
let low = 1;
let high = 10_000;
while (low < high) {
  const mid = Math.ceil((low + high) / 2);
  if (base64Length(await build(mid)) <= MAX_BASE64) low = mid;
  else high = mid - 1;
}
const xml = await build(low);
if (screenResponseXml(xml) !== null)
  throw new Error(`the screen refused the bench response: ${screenResponseXml(xml)}`);

const cpuMs = async (work: () => unknown) => {
  await work();
  const start = process.cpuUsage();
  for (let i = 0; i < RUNS; i++) await work();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000 / RUNS;
};
const screen = await cpuMs(() => screenResponseXml(xml));
const verify = await cpuMs(() => samlifyProtocol.verifyResponse(sp, idp.metadataXml, xml, 60_000));
console.log(
  `SAML response: ${low} attribute values, ${Buffer.byteLength(xml)} bytes of XML (${base64Length(xml)} base64)\n` +
    `  screen:  ${screen.toFixed(1)} ms CPU\n  verify:  ${verify.toFixed(1)} ms CPU (Node, in-process; on a worker thread in the server)`,
);
