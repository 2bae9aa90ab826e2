import { SAML_SCHEMA_FILES } from "./schemas/index.js";
import createXmllint from "./xmllint-glue.js";

/**
 * XML Schema validation of inbound SAML documents against the official SAML
 * 2.0 schemas, by libxml2's xmllint compiled to WASM (xmllint-wasm), on Node
 * and inside workerd alike.
 *
 * Workers refuse to compile WASM from bytes at run time, so the module is
 * handed in already compiled:
 *
 *     // Worker entry (wrangler bundles a `*.wasm` import as a CompiledWasm module)
 *     import xmllintWasm from "xmllint-wasm/xmllint.wasm";
 *     const schemas = createXmllintSchemaValidator(xmllintWasm);
 *
 *     // Node entry (src/adapters/saml/node-xmllint.ts: compiled once from the package's file)
 *     const schemas = createXmllintSchemaValidator(await loadXmllintWasm());
 *
 *     samlify.setSchemaValidator(samlifySchemaValidator(schemas));
 *
 * Each validation is one xmllint run (`xmllint --schema S --noout message.xml`)
 * in a fresh WASM instance: its file system holds the schemas and the message,
 * main() runs once and exits. Schemas are parsed on every run (that is most of
 * the time a validation takes); nothing is fetched (the schemas' imports name
 * local files) and the WASM has no network anyway.
 *
 * Memory: the WASM needs at least 16 MiB and may grow to `maxMemoryMiB`. A
 * Workers isolate has 128 MiB in all (argon2 already keeps about 19 MiB), so
 * runs are serialised and share one WebAssembly.Memory, zeroed before each run
 * (a fresh instance expects zeroed memory): 16 MiB allocated on the first
 * validation, at most `maxMemoryMiB`, then reused, never more than one.
 *
 * The root element picks the schema: samlp (urn:oasis:names:tc:SAML:2.0:protocol)
 * -> the protocol schema (Response, AuthnRequest, LogoutRequest, ...);
 * md:EntityDescriptor or md:EntitiesDescriptor -> the metadata schema.
 * Anything else is invalid, and so is any document with a DOCTYPE (SAML
 * messages and metadata never carry one; refusing it up front keeps entity
 * declarations away from the parser).
 */

/** The result of validating one document. */
export interface XmlSchemaResult {
  valid: boolean;
  /** Why it is invalid ("line 3: Element '...': ..."); empty when valid. */
  errors: string[];
}

/** The core-facing port: schema validation of an inbound SAML document. */
export interface XmlSchemaValidator {
  /**
   * Resolves `{ valid: false, errors }` for a document that is malformed, has
   * an unexpected root, or breaks the schema; rejects only when the validator
   * itself cannot run (a broken build, not a bad document).
   */
  validate(xml: string): Promise<XmlSchemaResult>;
}

export interface XmllintValidatorOptions {
  /** Longer documents are refused without running xmllint. Default 512 KiB (of UTF-16 code units). */
  maxInputLength?: number;
  /** Ceiling of the WASM memory, in MiB: at least 16. Default 32. */
  maxMemoryMiB?: number;
  /** At most this many error lines are reported. Default 20. */
  maxErrors?: number;
}

const SAML_PROTOCOL_NS = "urn:oasis:names:tc:SAML:2.0:protocol";
const SAML_METADATA_NS = "urn:oasis:names:tc:SAML:2.0:metadata";

/**
 * The xmllint-wasm release the vendored glue (xmllint-glue.js) was cut from,
 * and the SHA-256 of its xmllint.wasm; the contract test checks the installed
 * package against both.
 */
export const XMLLINT_WASM_VERSION = "5.3.0";
export const XMLLINT_WASM_SHA256 = "4e3cc21a67e8dd40ccb59822e4193fd1923b4cda08b40fe8ff8973de5eed9515";

const MESSAGE_FILE = "message.xml";
const WASM_PAGE = 65_536;
const MIN_PAGES = 256; // the WASM's declared minimum: 16 MiB
const METADATA_ROOTS = new Set(["EntityDescriptor", "EntitiesDescriptor"]);
const SCHEMA_FOR_NAMESPACE: Record<string, string> = {
  [SAML_PROTOCOL_NS]: "saml-schema-protocol-2.0.xsd",
  [SAML_METADATA_NS]: "saml-schema-metadata-2.0.xsd",
};
const SCHEMA_FILES = Object.entries(SAML_SCHEMA_FILES).map(([fileName, contents]) => ({ fileName, contents }));

/** xmllint's exit codes (libxml2 2.13, xmllint.c). */
const EXIT_OK = 0;
const EXIT_UNCLASSIFIED = 1; // some other failure on the document: invalid too (fail closed)
const EXIT_VALIDATION = 3;
const EXIT_READ_FILE = 4; // the message is not well-formed
const EXIT_OUT_OF_MEMORY = 9;

const invalid = (...errors: string[]): XmlSchemaResult => ({ valid: false, errors });

export function createXmllintSchemaValidator(
  wasm: WebAssembly.Module,
  options: XmllintValidatorOptions = {},
): XmlSchemaValidator {
  const maxInputLength = options.maxInputLength ?? 512 * 1024;
  const maxPages = Math.max(MIN_PAGES, Math.floor(((options.maxMemoryMiB ?? 32) * 1024 * 1024) / WASM_PAGE));
  const maxErrors = options.maxErrors ?? 20;

  let memory: WebAssembly.Memory | undefined;
  /** The run in progress (or the last one): runs never overlap, so one memory serves them all. */
  let queue: Promise<unknown> = Promise.resolve();

  async function run(schema: string, xml: string): Promise<XmlSchemaResult> {
    if (memory) new Uint8Array(memory.buffer).fill(0);
    memory ??= new WebAssembly.Memory({ initial: MIN_PAGES, maximum: maxPages });
    const wasmMemory = memory;
    let stderr = "";
    let exitCode: number | undefined;
    let abort: unknown;
    try {
      await createXmllint({
        inputFiles: [...SCHEMA_FILES, { fileName: MESSAGE_FILE, contents: xml }],
        arguments: ["--nonet", "--noout", "--schema", schema, MESSAGE_FILE],
        print: () => {},
        printErr: (text) => {
          stderr += `${text}\n`;
        },
        onExit: (code) => {
          exitCode = code;
        },
        onAbort: (reason) => {
          abort = reason;
        },
        wasmMemory,
        // Synchronous: instantiating a compiled module is allowed everywhere, and so a
        // run waits on nothing but microtasks (a failure throws straight out of the glue).
        instantiateWasm(imports, done) {
          done(new WebAssembly.Instance(wasm, imports));
          return {};
        },
      });
    } catch (error) {
      // A trap inside xmllint (out of memory, a crash), or a module that does not link (the wrong .wasm).
      if (exitCode === undefined) {
        if (abort !== undefined || error instanceof WebAssembly.RuntimeError) {
          return invalid(`xmllint aborted: ${String(abort ?? (error as Error).message)}`);
        }
        throw error;
      }
    }
    switch (exitCode) {
      case EXIT_OK:
        return { valid: true, errors: [] };
      case EXIT_UNCLASSIFIED:
      case EXIT_VALIDATION:
      case EXIT_READ_FILE: {
        const errors = errorLines(stderr, maxErrors);
        return invalid(...(errors.length > 0 ? errors : [`xmllint exited with ${exitCode}`]));
      }
      case EXIT_OUT_OF_MEMORY:
        return invalid("The document is too large for the validator's memory.");
      default:
        // A schema that does not compile or is missing (5) and the like: the build is broken, not the document.
        throw new Error(`xmllint exited with ${exitCode}: ${stderr.trim().slice(0, 1000)}`);
    }
  }

  return {
    validate(xml) {
      if (typeof xml !== "string") return Promise.resolve(invalid("The document is not a string."));
      if (xml.length > maxInputLength) {
        return Promise.resolve(invalid(`The document is longer than ${maxInputLength} characters.`));
      }
      const root = rootElement(xml);
      if ("error" in root) return Promise.resolve(invalid(root.error));
      const schema = root.namespace === undefined ? undefined : SCHEMA_FOR_NAMESPACE[root.namespace];
      if (schema === undefined || (root.namespace === SAML_METADATA_NS && !METADATA_ROOTS.has(root.localName))) {
        return Promise.resolve(
          invalid(
            `The root element {${root.namespace ?? ""}}${root.localName} is neither a SAML protocol message ` +
              "nor an md:EntityDescriptor / md:EntitiesDescriptor.",
          ),
        );
      }
      const result = queue.then(() => run(schema, xml));
      queue = result.catch(() => undefined);
      return result;
    },
  };
}

/**
 * The adapter samlify's `setSchemaValidator` expects: resolves on a valid
 * document, rejects (with the reasons in the message) on an invalid one.
 */
export function samlifySchemaValidator(validator: XmlSchemaValidator): { validate(xml: string): Promise<string> } {
  return {
    async validate(xml) {
      const { valid, errors } = await validator.validate(xml);
      if (!valid) throw new Error(`ERR_INVALID_XML: ${errors.join("; ")}`);
      return "SUCCESS_VALIDATE_XML";
    },
  };
}

/** xmllint's messages about the message file, without the file name ("line 3: ..."). */
function errorLines(stderr: string, max: number): string[] {
  const prefix = `${MESSAGE_FILE}:`;
  const lines: string[] = [];
  for (const line of stderr.split("\n")) {
    if (!line.startsWith(prefix)) continue;
    const match = /^(\d+): (?:element \S+: )?(?:Schemas validity error : )?(.*)$/.exec(line.slice(prefix.length));
    lines.push((match ? `line ${match[1]}: ${match[2]}` : line.slice(prefix.length)).trim().slice(0, 500));
    if (lines.length === max) break;
  }
  return lines;
}

interface Root {
  localName: string;
  /** The namespace bound to the root's prefix on the root element itself (the only place it can be bound). */
  namespace: string | undefined;
}

const NAME_AT = /[^\s/>=]+/y;
const ATTRIBUTE_AT = /\s+([^\s/>=]+)\s*=\s*(?:"([^"<]*)"|'([^'<]*)')/y;
const TAG_END_AT = /\s*\/?>/y;

/**
 * The root element's name and namespace, read from the prolog and the root's
 * start tag. Only picks the schema: xmllint still parses the whole document,
 * and whatever this reads differently from xmllint ends as a mismatch, never
 * as a pass (a root outside the chosen schema's namespace does not validate).
 */
function rootElement(xml: string): Root | { error: string } {
  let at = xml.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (;;) {
    while (at < xml.length && /\s/.test(xml.charAt(at))) at++;
    if (xml.startsWith("<?", at)) {
      const end = xml.indexOf("?>", at + 2);
      if (end === -1) return { error: "The document is not well-formed (unterminated processing instruction)." };
      at = end + 2;
    } else if (xml.startsWith("<!--", at)) {
      const end = xml.indexOf("-->", at + 4);
      if (end === -1) return { error: "The document is not well-formed (unterminated comment)." };
      at = end + 3;
    } else if (xml.startsWith("<!", at)) {
      return { error: "A DOCTYPE (document type declaration) is not allowed in a SAML document." };
    } else break;
  }
  if (xml.charAt(at) !== "<") return { error: "The document has no root element." };
  NAME_AT.lastIndex = at + 1;
  const name = NAME_AT.exec(xml)?.[0];
  if (!name) return { error: "The document is not well-formed (no root element name)." };
  let position = NAME_AT.lastIndex;
  const attributes = new Map<string, string>();
  for (;;) {
    ATTRIBUTE_AT.lastIndex = position;
    const attribute = ATTRIBUTE_AT.exec(xml);
    if (!attribute) break;
    attributes.set(attribute[1] as string, attribute[2] ?? attribute[3] ?? "");
    position = ATTRIBUTE_AT.lastIndex;
  }
  TAG_END_AT.lastIndex = position;
  if (!TAG_END_AT.test(xml)) return { error: "The document is not well-formed (root start tag)." };
  const colon = name.indexOf(":");
  const prefix = colon === -1 ? undefined : name.slice(0, colon);
  return {
    localName: colon === -1 ? name : name.slice(colon + 1),
    namespace: attributes.get(prefix === undefined ? "xmlns" : `xmlns:${prefix}`),
  };
}
