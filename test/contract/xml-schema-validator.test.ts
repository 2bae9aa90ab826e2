import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { inflateRawSync } from "node:zlib";
import * as samlify from "samlify";
import { describe, expect, it } from "vitest";
import { loadXmllintWasm } from "../../src/adapters/saml/node-xmllint.js";
import { SAML_SCHEMA_FILES } from "../../src/adapters/saml/schemas/index.js";
import {
  createXmllintSchemaValidator,
  samlifySchemaValidator,
  XMLLINT_WASM_SHA256,
  XMLLINT_WASM_VERSION,
  type XmlSchemaValidator,
} from "../../src/adapters/saml/xml-schema-validator.js";
import {
  idpMetadata,
  invalidDocuments,
  median,
  samlResponse,
  xmlSchemaValidatorContract,
} from "./xml-schema-validator.contract.js";

const wasm = loadXmllintWasm();
let shared: XmlSchemaValidator | undefined;
const open = async () => {
  shared ??= createXmllintSchemaValidator(await wasm);
  return shared;
};

xmlSchemaValidatorContract("xmllint WASM on Node", open);

/** How many schemas each schema imports (so that the check below cannot pass by matching nothing). */
const IMPORTS: Record<string, number> = {
  "saml-schema-protocol-2.0.xsd": 2,
  "saml-schema-assertion-2.0.xsd": 2,
  "saml-schema-metadata-2.0.xsd": 4,
  "xmldsig-core-schema.xsd": 0,
  "xenc-schema.xsd": 1,
};

describe("xmllint WASM schema validator on Node", () => {
  const require = createRequire(import.meta.url);
  const file = (path: string) => readFileSync(new URL(path, import.meta.url), "utf8");

  it("runs the xmllint-wasm release its vendored glue was cut from", () => {
    const pkg = JSON.parse(readFileSync(require.resolve("xmllint-wasm/package.json"), "utf8")) as { version: string };
    expect(pkg.version).toBe(XMLLINT_WASM_VERSION);
    const wasmBytes = readFileSync(require.resolve("xmllint-wasm/xmllint.wasm"));
    expect(createHash("sha256").update(wasmBytes).digest("hex")).toBe(XMLLINT_WASM_SHA256);
    const upstream = readFileSync(require.resolve("xmllint-wasm/xmllint-browser.mjs"), "utf8");
    const factory = upstream.slice(0, upstream.indexOf("if (typeof exports === 'object'"));
    expect(factory.length).toBeGreaterThan(20_000);
    expect(file("../../src/adapters/saml/xmllint-glue.js")).toContain(factory);
  });

  it("embeds each schema exactly as the .xsd file beside it", () => {
    for (const [name, text] of Object.entries(SAML_SCHEMA_FILES)) {
      expect(text, name).toBe(file(`../../src/adapters/saml/schemas/${name}`));
      // No import may reach out for a schema: every schemaLocation names a shipped file.
      const imports = [
        ...text.matchAll(/<(?:\w+:)?(?:import|include|redefine)\b[^>]*schemaLocation=["']([^"']+)["']/g),
      ];
      expect(imports.length, name).toBe(name === "xml.xsd" ? 0 : IMPORTS[name]);
      for (const [, location] of imports) {
        expect(Object.keys(SAML_SCHEMA_FILES), `${name} imports ${location}`).toContain(location);
      }
    }
  });

  it("refuses documents over the size limit without running xmllint", async () => {
    const validator = createXmllintSchemaValidator(await wasm, { maxInputLength: 1000 });
    const result = await validator.validate(samlResponse());
    expect(result.valid).toBe(false);
    expect(result.errors[0]).toMatch(/longer than 1000/);
  });

  it("reports a document too large for a small memory ceiling as invalid, and recovers", async () => {
    const validator = createXmllintSchemaValidator(await wasm, { maxMemoryMiB: 16, maxInputLength: 10_000_000 });
    const huge = samlResponse().replace(
      "<saml:AttributeStatement>",
      `<saml:AttributeStatement>${'<saml:Attribute Name="a"><saml:AttributeValue>v</saml:AttributeValue></saml:Attribute>'.repeat(60_000)}`,
    );
    const result = await validator
      .validate(huge)
      .catch((error: unknown) => ({ valid: "threw", errors: [String(error)] }));
    expect(result.valid, result.errors.join("\n")).toBe(false);
    expect((await validator.validate(samlResponse())).valid).toBe(true);
  });

  it("rejects, rather than calling a document invalid, when it is handed the wrong WASM module", async () => {
    const empty = new WebAssembly.Module(new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]));
    const broken = createXmllintSchemaValidator(empty);
    await expect(broken.validate(samlResponse())).rejects.toThrow();
    // Later documents get the same answer, not a hang behind the failed run.
    await expect(broken.validate(samlResponse())).rejects.toThrow();
  });

  describe("as samlify's schema validator", () => {
    it("resolves for a valid Response and rejects with the reasons for an invalid one", async () => {
      const adapter = samlifySchemaValidator(await open());
      await expect(adapter.validate(samlResponse())).resolves.toBe("SUCCESS_VALIDATE_XML");
      const [label, xml] = invalidDocuments()[0] as [string, string, RegExp];
      await expect(adapter.validate(xml), label).rejects.toThrow(/ERR_INVALID_XML: .*IssueInstant/);
    });

    it("is what samlify calls: SamlLib.isValidXml follows it", async () => {
      samlify.setSchemaValidator(samlifySchemaValidator(await open()));
      await expect(samlify.SamlLib.isValidXml(samlResponse())).resolves.toBeTruthy();
      await expect(
        samlify.SamlLib.isValidXml(samlResponse().replace(' Version="2.0" IssueInstant', " IssueInstant")),
      ).rejects.toThrow(/Version/);
    });

    it("passes what samlify itself writes: SP metadata and an AuthnRequest", async () => {
      const validator = await open();
      const sp = samlify.ServiceProvider({
        entityID: "https://sp.example.com/metadata",
        assertionConsumerService: [
          { Binding: samlify.Constants.namespace.binding.post, Location: "https://sp.example.com/saml/acs" },
        ],
        nameIDFormat: [samlify.Constants.namespace.format.emailAddress],
      });
      expect(await validator.validate(sp.getMetadata())).toEqual({ valid: true, errors: [] });

      const idp = samlify.IdentityProvider({ metadata: idpMetadata() });
      const { context } = sp.createLoginRequest(idp, "redirect") as { context: string };
      const encoded = new URL(context).searchParams.get("SAMLRequest") as string;
      const request = inflateRawSync(Buffer.from(encoded, "base64")).toString("utf8");
      expect(request).toContain("AuthnRequest");
      expect(await validator.validate(request)).toEqual({ valid: true, errors: [] });
    });
  });

  it("prints the time per validation of a ~5 KB Response (not asserted)", async () => {
    const validator = await open();
    const xml = samlResponse();
    const times: number[] = [];
    for (let i = 0; i < 25; i++) {
      const started = performance.now();
      await validator.validate(xml);
      times.push(performance.now() - started);
    }
    const metadataTimes: number[] = [];
    for (let i = 0; i < 10; i++) {
      const started = performance.now();
      await validator.validate(idpMetadata());
      metadataTimes.push(performance.now() - started);
    }
    console.log(
      `xmllint WASM on Node: ${xml.length}-byte Response median ${median(times).toFixed(1)} ms ` +
        `(first ${times[0]?.toFixed(1)} ms, min ${Math.min(...times).toFixed(1)}, max ${Math.max(...times).toFixed(1)}; 25 runs); ` +
        `IdP metadata median ${median(metadataTimes).toFixed(1)} ms`,
    );
    expect(times).toHaveLength(25);
  });
});
